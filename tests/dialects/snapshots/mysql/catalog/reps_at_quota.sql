WITH ent_reps_at_quota AS (
  SELECT
    per_entity.period AS period,
    per_entity.team AS team,
    CAST(COUNT(CASE WHEN per_entity.quota_attainment >= 1 THEN 1 END) AS DOUBLE) / NULLIF(COUNT(per_entity.quota_attainment), 0) AS reps_at_quota__ent
  FROM (
    WITH ent_reps_at_quota__agg_quotas_quarter_start AS (
      SELECT
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
        ) AS DATE) AS period,
        reps.team AS team,
        quotas.rep_id AS rep,
        SUM(quotas.quota) AS quota_attainment__den
      FROM quotas AS quotas
      LEFT JOIN reps AS reps
        ON quotas.rep_id = reps.rep_id
      WHERE
        NOT quotas.quarter_start IS NULL
      GROUP BY
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
        ) AS DATE),
        reps.team,
        quotas.rep_id
    ), ent_reps_at_quota__agg_opportunities_closed_at AS (
      SELECT
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.closed_at)) QUARTER
        ) AS DATE) AS period,
        reps.team AS team,
        opportunities.owner_rep_id AS rep,
        SUM(opportunities.amount) AS won_revenue__num
      FROM opportunities AS opportunities
      LEFT JOIN reps AS reps
        ON opportunities.owner_rep_id = reps.rep_id
      WHERE
        NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
      GROUP BY
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.closed_at)) QUARTER
        ) AS DATE),
        reps.team,
        opportunities.owner_rep_id
    ), ent_reps_at_quota__bounds AS (
      SELECT
        MIN(lo) AS lo,
        MAX(hi) AS hi
      FROM (
        SELECT
          MIN(period) AS lo,
          MAX(period) AS hi
        FROM ent_reps_at_quota__agg_quotas_quarter_start
        UNION ALL
        SELECT
          MIN(period) AS lo,
          MAX(period) AS hi
        FROM ent_reps_at_quota__agg_opportunities_closed_at
        UNION ALL
        SELECT
          CAST(DATE_ADD(
            '0000-01-01 00:00:00',
            INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', MIN(opportunities.closed_at))) QUARTER
          ) AS DATE) AS lo,
          CAST(DATE_ADD(
            '0000-01-01 00:00:00',
            INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', MAX(opportunities.closed_at))) QUARTER
          ) AS DATE) AS hi
        FROM opportunities AS opportunities
      ) AS scans
    ), ent_reps_at_quota__digits AS (
      SELECT
        0 AS d
      UNION ALL
      SELECT
        1 AS d
      UNION ALL
      SELECT
        2 AS d
      UNION ALL
      SELECT
        3 AS d
      UNION ALL
      SELECT
        4 AS d
      UNION ALL
      SELECT
        5 AS d
      UNION ALL
      SELECT
        6 AS d
      UNION ALL
      SELECT
        7 AS d
      UNION ALL
      SELECT
        8 AS d
      UNION ALL
      SELECT
        9 AS d
    ), ent_reps_at_quota__spine AS (
      SELECT
        CAST(DATE_ADD(
          ent_reps_at_quota__bounds.lo,
          INTERVAL ((
            d0.d + d1.d * 10 + d2.d * 100
          ) * 3) MONTH
        ) AS DATE) AS period
      FROM ent_reps_at_quota__digits AS d0
      CROSS JOIN ent_reps_at_quota__digits AS d1
      CROSS JOIN ent_reps_at_quota__digits AS d2
      CROSS JOIN ent_reps_at_quota__bounds
      WHERE
        (
          (
            d0.d + d1.d * 10 + d2.d * 100
          ) * 3
        ) * 28 <= DATEDIFF(ent_reps_at_quota__bounds.hi, ent_reps_at_quota__bounds.lo)
        AND CAST(DATE_ADD(
          ent_reps_at_quota__bounds.lo,
          INTERVAL ((
            d0.d + d1.d * 10 + d2.d * 100
          ) * 3) MONTH
        ) AS DATE) <= ent_reps_at_quota__bounds.hi
    ), ent_reps_at_quota__grid AS (
      SELECT
        ent_reps_at_quota__spine.period AS period,
        dims.team AS team,
        dims.rep AS rep
      FROM ent_reps_at_quota__spine
      CROSS JOIN (
        SELECT
          reps.team AS team,
          opportunities.owner_rep_id AS rep
        FROM opportunities AS opportunities
        LEFT JOIN reps AS reps
          ON opportunities.owner_rep_id = reps.rep_id
        UNION
        SELECT
          reps.team AS team,
          quotas.rep_id AS rep
        FROM quotas AS quotas
        LEFT JOIN reps AS reps
          ON quotas.rep_id = reps.rep_id
      ) AS dims
    )
    SELECT
      ent_reps_at_quota__grid.period AS period,
      ent_reps_at_quota__grid.team AS team,
      ent_reps_at_quota__grid.rep AS rep,
      CAST((
        COALESCE(ent_reps_at_quota__agg_opportunities_closed_at.won_revenue__num, 0)
      ) AS DOUBLE) / NULLIF(COALESCE(ent_reps_at_quota__agg_quotas_quarter_start.quota_attainment__den, 0), 0) AS quota_attainment
    FROM ent_reps_at_quota__grid
    LEFT JOIN ent_reps_at_quota__agg_quotas_quarter_start
      ON ent_reps_at_quota__agg_quotas_quarter_start.period = ent_reps_at_quota__grid.period
      AND ent_reps_at_quota__agg_quotas_quarter_start.team <=> ent_reps_at_quota__grid.team
      AND ent_reps_at_quota__agg_quotas_quarter_start.rep <=> ent_reps_at_quota__grid.rep
    LEFT JOIN ent_reps_at_quota__agg_opportunities_closed_at
      ON ent_reps_at_quota__agg_opportunities_closed_at.period = ent_reps_at_quota__grid.period
      AND ent_reps_at_quota__agg_opportunities_closed_at.team <=> ent_reps_at_quota__grid.team
      AND ent_reps_at_quota__agg_opportunities_closed_at.rep <=> ent_reps_at_quota__grid.rep
  ) AS per_entity
  WHERE
    NOT per_entity.rep IS NULL
  GROUP BY
    per_entity.period,
    per_entity.team
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM ent_reps_at_quota
    UNION ALL
    SELECT
      CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', MIN(opportunities.closed_at))) QUARTER
      ) AS DATE) AS lo,
      CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', MAX(opportunities.closed_at))) QUARTER
      ) AS DATE) AS hi
    FROM opportunities AS opportunities
  ) AS scans
), digits AS (
  SELECT
    0 AS d
  UNION ALL
  SELECT
    1 AS d
  UNION ALL
  SELECT
    2 AS d
  UNION ALL
  SELECT
    3 AS d
  UNION ALL
  SELECT
    4 AS d
  UNION ALL
  SELECT
    5 AS d
  UNION ALL
  SELECT
    6 AS d
  UNION ALL
  SELECT
    7 AS d
  UNION ALL
  SELECT
    8 AS d
  UNION ALL
  SELECT
    9 AS d
), spine AS (
  SELECT
    CAST(DATE_ADD(bounds.lo, INTERVAL ((
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3) MONTH) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN bounds
  WHERE
    (
      (
        d0.d + d1.d * 10 + d2.d * 100
      ) * 3
    ) * 28 <= DATEDIFF(bounds.hi, bounds.lo)
    AND CAST(DATE_ADD(bounds.lo, INTERVAL ((
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3) MONTH) AS DATE) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.team AS team
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      team
    FROM ent_reps_at_quota
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.team AS team,
  ent_reps_at_quota.reps_at_quota__ent AS reps_at_quota
FROM grid
LEFT JOIN ent_reps_at_quota
  ON ent_reps_at_quota.period = grid.period AND ent_reps_at_quota.team <=> grid.team
ORDER BY
  grid.period,
  grid.team
