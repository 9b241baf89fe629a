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
        CAST(TIMESTAMP_TRUNC(headcount.snapshot_date, MONTH) AS DATE) AS period,
        employees.team AS team,
        CAST(headcount.snapshot_date AS DATE) AS snapshot_day,
        AVG(DATE_DIFF(headcount.snapshot_date, headcount.hired_at, DAY)) / 30.4375 AS average_ae_tenure__num
      FROM headcount AS headcount
      LEFT JOIN employees AS employees
        ON headcount.employee_id = employees.employee_id
      WHERE
        NOT headcount.snapshot_date IS NULL AND headcount.role = 'AE'
      GROUP BY
        CAST(TIMESTAMP_TRUNC(headcount.snapshot_date, MONTH) AS DATE),
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
      CAST(TIMESTAMP_TRUNC(MIN(headcount.snapshot_date), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(headcount.snapshot_date), MONTH) AS DATE) AS hi
    FROM headcount AS headcount
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
