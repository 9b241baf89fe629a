WITH ent_median_won_revenue_per_rep AS (
  SELECT
    per_entity.period AS period,
    per_entity.team AS team,
    quantileExactInclusiveOrNull(0.5)(per_entity.won_revenue) AS median_won_revenue_per_rep__ent
  FROM (
    WITH ent_median_won_revenue_per_rep__agg_opportunities_closed_at AS (
      SELECT
        CAST(dateTrunc('MONTH', opportunities.closed_at) AS Nullable(DATE)) AS period,
        reps.team AS team,
        opportunities.owner_rep_id AS rep,
        SUM(opportunities.amount) AS won_revenue__num
      FROM opportunities AS opportunities
      LEFT JOIN reps AS reps
        ON opportunities.owner_rep_id = reps.rep_id
      WHERE
        NOT (
          opportunities.closed_at IS NULL
        ) AND opportunities.stage = 'won'
      GROUP BY
        CAST(dateTrunc('MONTH', opportunities.closed_at) AS Nullable(DATE)),
        reps.team,
        opportunities.owner_rep_id
    ), ent_median_won_revenue_per_rep__bounds AS (
      SELECT
        MIN(lo) AS lo,
        MAX(hi) AS hi
      FROM (
        SELECT
          MIN(period) AS lo,
          MAX(period) AS hi
        FROM ent_median_won_revenue_per_rep__agg_opportunities_closed_at
        UNION ALL
        SELECT
          CAST(dateTrunc('MONTH', MIN(opportunities.closed_at)) AS Nullable(DATE)) AS lo,
          CAST(dateTrunc('MONTH', MAX(opportunities.closed_at)) AS Nullable(DATE)) AS hi
        FROM opportunities AS opportunities
      ) AS scans
    ), ent_median_won_revenue_per_rep__digits AS (
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
    ), ent_median_won_revenue_per_rep__spine AS (
      SELECT
        CAST(DATE_ADD(
          MONTH,
          d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000,
          ent_median_won_revenue_per_rep__bounds.lo
        ) AS Nullable(DATE)) AS period
      FROM ent_median_won_revenue_per_rep__digits AS d0
      CROSS JOIN ent_median_won_revenue_per_rep__digits AS d1
      CROSS JOIN ent_median_won_revenue_per_rep__digits AS d2
      CROSS JOIN ent_median_won_revenue_per_rep__digits AS d3
      CROSS JOIN ent_median_won_revenue_per_rep__bounds
      WHERE
        (
          d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
        ) * 28 <= DATE_DIFF(
          DAY,
          ent_median_won_revenue_per_rep__bounds.lo,
          ent_median_won_revenue_per_rep__bounds.hi
        )
        AND CAST(DATE_ADD(
          MONTH,
          d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000,
          ent_median_won_revenue_per_rep__bounds.lo
        ) AS Nullable(DATE)) <= ent_median_won_revenue_per_rep__bounds.hi
    ), ent_median_won_revenue_per_rep__grid AS (
      SELECT
        ent_median_won_revenue_per_rep__spine.period AS period,
        dims.team AS team,
        dims.rep AS rep
      FROM ent_median_won_revenue_per_rep__spine
      CROSS JOIN (
        SELECT DISTINCT
          reps.team AS team,
          opportunities.owner_rep_id AS rep
        FROM opportunities AS opportunities
        LEFT JOIN reps AS reps
          ON opportunities.owner_rep_id = reps.rep_id
      ) AS dims
    )
    SELECT
      ent_median_won_revenue_per_rep__grid.period AS period,
      ent_median_won_revenue_per_rep__grid.team AS team,
      ent_median_won_revenue_per_rep__grid.rep AS rep,
      COALESCE(ent_median_won_revenue_per_rep__agg_opportunities_closed_at.won_revenue__num, 0) AS won_revenue
    FROM ent_median_won_revenue_per_rep__grid
    LEFT JOIN ent_median_won_revenue_per_rep__agg_opportunities_closed_at
      ON ent_median_won_revenue_per_rep__agg_opportunities_closed_at.period = ent_median_won_revenue_per_rep__grid.period
      AND ent_median_won_revenue_per_rep__agg_opportunities_closed_at.team IS NOT DISTINCT FROM ent_median_won_revenue_per_rep__grid.team
      AND ent_median_won_revenue_per_rep__agg_opportunities_closed_at.rep IS NOT DISTINCT FROM ent_median_won_revenue_per_rep__grid.rep
  ) AS per_entity
  WHERE
    NOT (
      per_entity.rep IS NULL
    )
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
    FROM ent_median_won_revenue_per_rep
    UNION ALL
    SELECT
      CAST(dateTrunc('MONTH', MIN(opportunities.closed_at)) AS Nullable(DATE)) AS lo,
      CAST(dateTrunc('MONTH', MAX(opportunities.closed_at)) AS Nullable(DATE)) AS hi
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
    CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.team AS team
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      team
    FROM ent_median_won_revenue_per_rep
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.team AS team,
  ent_median_won_revenue_per_rep.median_won_revenue_per_rep__ent AS median_won_revenue_per_rep
FROM grid
LEFT JOIN ent_median_won_revenue_per_rep
  ON ent_median_won_revenue_per_rep.period = grid.period
  AND ent_median_won_revenue_per_rep.team IS NOT DISTINCT FROM grid.team
ORDER BY
  grid.period,
  grid.team
