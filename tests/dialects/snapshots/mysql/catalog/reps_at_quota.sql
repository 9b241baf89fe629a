WITH ent_reps_at_quota AS (
  SELECT
    period,
    team,
    CAST(COUNT(CASE WHEN quota_attainment >= 1 THEN 1 END) AS DOUBLE) / NULLIF(COUNT(quota_attainment), 0) AS reps_at_quota__ent
  FROM (
    WITH ent_reps_at_quota__agg_quotas_quarter_start AS (
      SELECT
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
        ) AS DATE) AS period,
        reps.team AS team,
        reps.rep_name AS rep,
        SUM(quotas.quota) AS quota_attainment__den
      FROM quotas AS quotas
      LEFT JOIN reps AS reps
        ON quotas.rep_id = reps.rep_id
      WHERE
        NOT quotas.quarter_start IS NULL
        AND quotas.quarter_start >= CAST('2024-01-01' AS DATE)
        AND quotas.quarter_start < CAST('2026-01-01' AS DATE)
      GROUP BY
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
        ) AS DATE),
        reps.team,
        reps.rep_name
    ), ent_reps_at_quota__agg_opportunities_closed_at AS (
      SELECT
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.closed_at)) QUARTER
        ) AS DATE) AS period,
        reps.team AS team,
        reps.rep_name AS rep,
        SUM(opportunities.amount) AS won_revenue__num
      FROM opportunities AS opportunities
      LEFT JOIN reps AS reps
        ON opportunities.owner_rep_id = reps.rep_id
      WHERE
        NOT opportunities.closed_at IS NULL
        AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
        AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
        AND opportunities.stage = 'won'
      GROUP BY
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.closed_at)) QUARTER
        ) AS DATE),
        reps.team,
        reps.rep_name
    ), ent_reps_at_quota__spine AS (
      SELECT
        period
      FROM (
        SELECT
          CAST('2024-01-01' AS DATE) AS period
        UNION ALL
        SELECT
          CAST('2024-04-01' AS DATE)
        UNION ALL
        SELECT
          CAST('2024-07-01' AS DATE)
        UNION ALL
        SELECT
          CAST('2024-10-01' AS DATE)
        UNION ALL
        SELECT
          CAST('2025-01-01' AS DATE)
        UNION ALL
        SELECT
          CAST('2025-04-01' AS DATE)
        UNION ALL
        SELECT
          CAST('2025-07-01' AS DATE)
        UNION ALL
        SELECT
          CAST('2025-10-01' AS DATE)
      ) AS periods
    ), ent_reps_at_quota__grid AS (
      SELECT
        ent_reps_at_quota__spine.period,
        dims.team,
        dims.rep
      FROM ent_reps_at_quota__spine
      CROSS JOIN (
        SELECT
          team,
          rep
        FROM ent_reps_at_quota__agg_quotas_quarter_start
        UNION
        SELECT
          team,
          rep
        FROM ent_reps_at_quota__agg_opportunities_closed_at
      ) AS dims
    )
    SELECT
      ent_reps_at_quota__grid.period,
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
  GROUP BY
    period,
    team
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST('2024-01-01' AS DATE) AS period
    UNION ALL
    SELECT
      CAST('2024-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-01-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-10-01' AS DATE)
  ) AS periods
), grid AS (
  SELECT
    spine.period,
    dims.team
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      team
    FROM ent_reps_at_quota
  ) AS dims
)
SELECT
  grid.period,
  grid.team AS team,
  ent_reps_at_quota.reps_at_quota__ent AS reps_at_quota
FROM grid
LEFT JOIN ent_reps_at_quota
  ON ent_reps_at_quota.period = grid.period AND ent_reps_at_quota.team <=> grid.team
ORDER BY
  grid.period,
  grid.team
