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
), spine AS (
  SELECT
    period
  FROM EXPLODE(
    SEQUENCE(
      (
        SELECT
          lo
        FROM bounds
      ),
      (
        SELECT
          hi
        FROM bounds
      ),
      INTERVAL '1' MONTH
    )
  ) AS periods(period)
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
  AND agg_employees_left_at.team IS NOT DISTINCT FROM grid.team
ORDER BY
  grid.period,
  grid.team
