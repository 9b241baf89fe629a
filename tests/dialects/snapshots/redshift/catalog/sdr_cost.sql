WITH agg_rep_compensation_month_start AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', rep_compensation.month_start) AS DATE) AS period,
    employees.employee_name AS rep,
    SUM(rep_compensation.loaded_cost) AS sdr_cost__num
  FROM rep_compensation AS rep_compensation
  LEFT JOIN employees AS employees
    ON rep_compensation.employee_id = employees.employee_id
  WHERE
    NOT rep_compensation.month_start IS NULL AND rep_compensation.role = 'SDR'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', rep_compensation.month_start) AS DATE),
    employees.employee_name
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_rep_compensation_month_start
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(rep_compensation.month_start)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(rep_compensation.month_start)) AS DATE) AS hi
    FROM rep_compensation AS rep_compensation
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
    dims.rep AS rep
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      rep
    FROM agg_rep_compensation_month_start
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.rep AS rep,
  COALESCE(agg_rep_compensation_month_start.sdr_cost__num, 0) AS sdr_cost
FROM grid
LEFT JOIN agg_rep_compensation_month_start
  ON agg_rep_compensation_month_start.period = grid.period
  AND (
    COALESCE(CAST(agg_rep_compensation_month_start.rep AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.rep AS VARCHAR(MAX)), '')
    AND (
      agg_rep_compensation_month_start.rep IS NULL
    ) = (
      grid.rep IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.rep
