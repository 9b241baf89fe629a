WITH agg_headcount_snapshot_date_last AS (
  SELECT
    period,
    ae_retained_12m__num,
    ae_headcount__num
  FROM (
    SELECT
      *,
      MAX(snapshot_day) OVER (PARTITION BY period) AS last_day
    FROM (
      SELECT
        CAST(DATE_TRUNC('MONTH', headcount.snapshot_date) AS DATE) AS period,
        CAST(headcount.snapshot_date AS DATE) AS snapshot_day,
        COUNT(
          CASE
            WHEN DATEDIFF(
              DAY,
              DATE_TRUNC('MONTH', headcount.hired_at),
              DATE_TRUNC('MONTH', headcount.snapshot_date)
            ) >= 360
            THEN 1
          END
        ) AS ae_retained_12m__num,
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
  CAST((
    COALESCE(agg_headcount_snapshot_date_last.ae_retained_12m__num, 0)
  ) AS DOUBLE) / NULLIF(
    (
      LAG(COALESCE(agg_headcount_snapshot_date_last.ae_headcount__num, 0), 12) OVER (ORDER BY spine.period)
    ),
    0
  ) AS ae_retention_12m
FROM spine
LEFT JOIN agg_headcount_snapshot_date_last
  ON agg_headcount_snapshot_date_last.period = spine.period
ORDER BY
  spine.period
