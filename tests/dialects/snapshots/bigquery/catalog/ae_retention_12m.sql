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
        CAST(TIMESTAMP_TRUNC(headcount.snapshot_date, MONTH) AS DATE) AS period,
        CAST(headcount.snapshot_date AS DATE) AS snapshot_day,
        COUNT(
          CASE
            WHEN DATE_DIFF(
              TIMESTAMP_TRUNC(headcount.snapshot_date, MONTH),
              TIMESTAMP_TRUNC(headcount.hired_at, MONTH),
              DAY
            ) >= 360
            THEN 1
          END
        ) AS ae_retained_12m__num,
        COUNT(*) AS ae_headcount__num
      FROM headcount AS headcount
      WHERE
        NOT headcount.snapshot_date IS NULL AND headcount.role = 'AE'
      GROUP BY
        CAST(TIMESTAMP_TRUNC(headcount.snapshot_date, MONTH) AS DATE),
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
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_headcount_snapshot_date_last.ae_retained_12m__num, 0)
  ) AS FLOAT64) / NULLIF(
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
