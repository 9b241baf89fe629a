WITH agg_lifecycle_stages_entered_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, lifecycle_stages.entered_at) AS DATE) AS period,
    lifecycle_stages.lifecycle_stage AS lifecycle_stage,
    COUNT_BIG(*) AS leads_in_lifecycle_stage__opens
  FROM lifecycle_stages AS lifecycle_stages
  WHERE
    NOT lifecycle_stages.entered_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, lifecycle_stages.entered_at) AS DATE),
    lifecycle_stages.lifecycle_stage
), agg_lifecycle_stages_exited_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, lifecycle_stages.exited_at) AS DATE) AS period,
    lifecycle_stages.lifecycle_stage AS lifecycle_stage,
    COUNT_BIG(*) AS leads_in_lifecycle_stage__closes
  FROM lifecycle_stages AS lifecycle_stages
  WHERE
    NOT lifecycle_stages.exited_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, lifecycle_stages.exited_at) AS DATE),
    lifecycle_stages.lifecycle_stage
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_lifecycle_stages_entered_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_lifecycle_stages_exited_at
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
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.lifecycle_stage AS lifecycle_stage
  FROM spine
  CROSS JOIN (
    SELECT
      lifecycle_stage
    FROM agg_lifecycle_stages_entered_at
    UNION
    SELECT
      lifecycle_stage
    FROM agg_lifecycle_stages_exited_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lifecycle_stage AS lifecycle_stage,
  SUM(
    COALESCE(agg_lifecycle_stages_entered_at.leads_in_lifecycle_stage__opens, 0) - COALESCE(agg_lifecycle_stages_exited_at.leads_in_lifecycle_stage__closes, 0)
  ) OVER (
    PARTITION BY grid.lifecycle_stage
    ORDER BY grid.period
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS leads_in_lifecycle_stage
FROM grid
LEFT JOIN agg_lifecycle_stages_entered_at
  ON agg_lifecycle_stages_entered_at.period = grid.period
  AND agg_lifecycle_stages_entered_at.lifecycle_stage IS NOT DISTINCT FROM grid.lifecycle_stage
LEFT JOIN agg_lifecycle_stages_exited_at
  ON agg_lifecycle_stages_exited_at.period = grid.period
  AND agg_lifecycle_stages_exited_at.lifecycle_stage IS NOT DISTINCT FROM grid.lifecycle_stage
ORDER BY
  grid.period,
  grid.lifecycle_stage
