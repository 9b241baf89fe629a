WITH agg_employee_surveys_responded_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(employee_surveys.responded_at, QUARTER) AS DATE) AS period,
    employees.role AS role,
    AVG(employee_surveys.score) AS employee_satisfaction__num
  FROM employee_surveys AS employee_surveys
  LEFT JOIN employees AS employees
    ON employee_surveys.employee_id = employees.employee_id
  WHERE
    NOT employee_surveys.responded_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(employee_surveys.responded_at, QUARTER) AS DATE),
    employees.role
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_employee_surveys_responded_at
), spine AS (
  SELECT
    period
  FROM UNNEST(GENERATE_DATE_ARRAY(
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
    INTERVAL '3' MONTH
  )) AS period
), grid AS (
  SELECT
    spine.period AS period,
    dims.role AS role
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      role
    FROM agg_employee_surveys_responded_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.role AS role,
  agg_employee_surveys_responded_at.employee_satisfaction__num AS employee_satisfaction
FROM grid
LEFT JOIN agg_employee_surveys_responded_at
  ON agg_employee_surveys_responded_at.period = grid.period
  AND agg_employee_surveys_responded_at.role IS NOT DISTINCT FROM grid.role
ORDER BY
  grid.period,
  grid.role
