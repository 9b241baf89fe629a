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
  AND agg_rep_compensation_month_start.rep IS NOT DISTINCT FROM grid.rep
ORDER BY
  grid.period,
  grid.rep
