WITH agg_headcount_snapshot_date_last AS (
  SELECT
    period,
    team,
    average_ae_tenure__num
  FROM (
    SELECT
      *,
      MAX(snapshot_day) OVER (PARTITION BY period) AS last_day
    FROM (
      SELECT
        CAST(DATE_TRUNC('MONTH', headcount.snapshot_date) AS DATE) AS period,
        employees.team AS team,
        CAST(headcount.snapshot_date AS DATE) AS snapshot_day,
        AVG(CAST(DATEDIFF(DAY, headcount.hired_at, headcount.snapshot_date) AS DOUBLE)) / 30.4375 AS average_ae_tenure__num
      FROM headcount AS headcount
      LEFT JOIN employees AS employees
        ON headcount.employee_id = employees.employee_id
      WHERE
        NOT headcount.snapshot_date IS NULL AND headcount.role = 'AE'
      GROUP BY
        CAST(DATE_TRUNC('MONTH', headcount.snapshot_date) AS DATE),
        employees.team,
        CAST(headcount.snapshot_date AS DATE)
    ) AS per_day
  ) AS ranked
  WHERE
    snapshot_day = last_day
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_headcount_snapshot_date_last
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(headcount.snapshot_date)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(headcount.snapshot_date)) AS DATE) AS hi
    FROM headcount AS headcount
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
    FROM agg_headcount_snapshot_date_last
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.team AS team,
  agg_headcount_snapshot_date_last.average_ae_tenure__num AS average_ae_tenure
FROM grid
LEFT JOIN agg_headcount_snapshot_date_last
  ON agg_headcount_snapshot_date_last.period = grid.period
  AND agg_headcount_snapshot_date_last.team IS NOT DISTINCT FROM grid.team
ORDER BY
  grid.period,
  grid.team
