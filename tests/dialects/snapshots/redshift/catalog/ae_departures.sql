WITH agg_employees_left_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', employees.left_at) AS DATE) AS period,
    employees.team AS team,
    COUNT(*) AS ae_departures__num
  FROM employees AS employees
  WHERE
    NOT employees.left_at IS NULL AND employees.role = 'AE'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', employees.left_at) AS DATE),
    employees.team
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_employees_left_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(employees.left_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(employees.left_at)) AS DATE) AS hi
    FROM employees AS employees
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
    dims.team AS team
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      team
    FROM agg_employees_left_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.team AS team,
  COALESCE(agg_employees_left_at.ae_departures__num, 0) AS ae_departures
FROM grid
LEFT JOIN agg_employees_left_at
  ON agg_employees_left_at.period = grid.period
  AND (
    COALESCE(CAST(agg_employees_left_at.team AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.team AS VARCHAR(MAX)), '')
    AND (
      agg_employees_left_at.team IS NULL
    ) = (
      grid.team IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.team
