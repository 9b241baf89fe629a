WITH agg_headcount_snapshot_date_last AS (
  SELECT
    period,
    ae_headcount__num
  FROM (
    SELECT
      *,
      MAX(snapshot_day) OVER (PARTITION BY period) AS last_day
    FROM (
      SELECT
        CAST(DATE_TRUNC('MONTH', headcount.snapshot_date) AS DATE) AS period,
        CAST(headcount.snapshot_date AS DATE) AS snapshot_day,
        COUNT(*) AS ae_headcount__num
      FROM headcount AS headcount
      WHERE
        NOT headcount.snapshot_date IS NULL AND headcount.role = 'AE'
      GROUP BY
        CAST(DATE_TRUNC('MONTH', headcount.snapshot_date) AS DATE),
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
)
SELECT
  spine.period AS period,
  LAG(COALESCE(agg_headcount_snapshot_date_last.ae_headcount__num, 0), 12) OVER (ORDER BY spine.period) AS ae_headcount_year_ago
FROM spine
LEFT JOIN agg_headcount_snapshot_date_last
  ON agg_headcount_snapshot_date_last.period = spine.period
ORDER BY
  spine.period
