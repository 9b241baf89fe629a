WITH agg_activities_occurred_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, activities.occurred_at) AS DATE) AS period,
    activities.activity_type AS activity_type,
    COUNT_BIG(*) AS activities_logged__num
  FROM activities AS activities
  WHERE
    NOT activities.occurred_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, activities.occurred_at) AS DATE),
    activities.activity_type
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_activities_occurred_at
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
    dims.activity_type AS activity_type
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      activity_type AS activity_type
    FROM agg_activities_occurred_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.activity_type AS activity_type,
  COALESCE(agg_activities_occurred_at.activities_logged__num, 0) AS activities_logged
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND agg_activities_occurred_at.activity_type IS NOT DISTINCT FROM grid.activity_type
ORDER BY
  grid.period,
  grid.activity_type
