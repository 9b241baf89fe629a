WITH agg_quotas_quarter_start AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', quotas.quarter_start) AS DATE) AS period,
    reps.rep_name AS rep,
    SUM(quotas.quota) AS quota_attainment__den
  FROM quotas AS quotas
  LEFT JOIN reps AS reps
    ON quotas.rep_id = reps.rep_id
  WHERE
    NOT quotas.quarter_start IS NULL
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', quotas.quarter_start) AS DATE),
    reps.rep_name
), agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', opportunities.closed_at) AS DATE) AS period,
    reps.rep_name AS rep,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  LEFT JOIN reps AS reps
    ON opportunities.owner_rep_id = reps.rep_id
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', opportunities.closed_at) AS DATE),
    reps.rep_name
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_quotas_quarter_start
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_opportunities_closed_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('QUARTER', MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('QUARTER', MAX(opportunities.closed_at)) AS DATE) AS hi
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
    CAST(DATEADD(MONTH, (
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN bounds
  WHERE
    (
      (
        d0.d + d1.d * 10 + d2.d * 100
      ) * 3
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, (
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3, bounds.lo) AS DATE) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.rep AS rep
  FROM spine
  CROSS JOIN (
    SELECT
      rep
    FROM agg_quotas_quarter_start
    UNION
    SELECT
      rep
    FROM agg_opportunities_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.rep AS rep,
  CAST((
    COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
  ) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_quotas_quarter_start.quota_attainment__den, 0), 0) AS quota_attainment
FROM grid
LEFT JOIN agg_quotas_quarter_start
  ON agg_quotas_quarter_start.period = grid.period
  AND (
    COALESCE(CAST(agg_quotas_quarter_start.rep AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.rep AS VARCHAR(MAX)), '')
    AND (
      agg_quotas_quarter_start.rep IS NULL
    ) = (
      grid.rep IS NULL
    )
  )
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND (
    COALESCE(CAST(agg_opportunities_closed_at.rep AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.rep AS VARCHAR(MAX)), '')
    AND (
      agg_opportunities_closed_at.rep IS NULL
    ) = (
      grid.rep IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.rep
