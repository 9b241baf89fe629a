WITH agg_rep_compensation_month_start AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(rep_compensation.month_start, MONTH) AS DATE) AS period,
    employees.employee_name AS rep,
    SUM(rep_compensation.ote) AS ae_ote__num
  FROM rep_compensation AS rep_compensation
  LEFT JOIN employees AS employees
    ON rep_compensation.employee_id = employees.employee_id
  WHERE
    NOT rep_compensation.month_start IS NULL AND rep_compensation.role = 'AE'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(rep_compensation.month_start, MONTH) AS DATE),
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
      CAST(TIMESTAMP_TRUNC(MIN(rep_compensation.month_start), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(rep_compensation.month_start), MONTH) AS DATE) AS hi
    FROM rep_compensation AS rep_compensation
  ) AS scans
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
    INTERVAL '1' MONTH
  )) AS period
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
  COALESCE(agg_rep_compensation_month_start.ae_ote__num, 0) AS ae_ote
FROM grid
LEFT JOIN agg_rep_compensation_month_start
  ON agg_rep_compensation_month_start.period = grid.period
  AND agg_rep_compensation_month_start.rep IS NOT DISTINCT FROM grid.rep
ORDER BY
  grid.period,
  grid.rep
