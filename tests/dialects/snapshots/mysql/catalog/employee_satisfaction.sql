WITH agg_employee_surveys_responded_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', employee_surveys.responded_at)) QUARTER
    ) AS DATE) AS period,
    employees.role AS role,
    AVG(CAST(employee_surveys.score AS DOUBLE)) AS employee_satisfaction__num
  FROM employee_surveys AS employee_surveys
  LEFT JOIN employees AS employees
    ON employee_surveys.employee_id = employees.employee_id
  WHERE
    NOT employee_surveys.responded_at IS NULL
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', employee_surveys.responded_at)) QUARTER
    ) AS DATE),
    employees.role
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_employee_surveys_responded_at
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
    CAST(DATE_ADD(bounds.lo, INTERVAL ((
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3) MONTH) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN bounds
  WHERE
    (
      (
        d0.d + d1.d * 10 + d2.d * 100
      ) * 3
    ) * 28 <= DATEDIFF(bounds.hi, bounds.lo)
    AND CAST(DATE_ADD(bounds.lo, INTERVAL ((
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3) MONTH) AS DATE) <= bounds.hi
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
  AND agg_employee_surveys_responded_at.role <=> grid.role
ORDER BY
  grid.period,
  grid.role
