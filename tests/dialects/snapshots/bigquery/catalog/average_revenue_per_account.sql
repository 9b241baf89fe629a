WITH agg_mrr_snapshots_snapshot_date_last AS (
  SELECT
    period,
    mrr_reported__num,
    paying_accounts__num
  FROM (
    SELECT
      *,
      MAX(snapshot_day) OVER (PARTITION BY period) AS last_day
    FROM (
      SELECT
        CAST(TIMESTAMP_TRUNC(mrr_snapshots.snapshot_date, MONTH) AS DATE) AS period,
        CAST(mrr_snapshots.snapshot_date AS DATE) AS snapshot_day,
        SUM(mrr_snapshots.mrr) AS mrr_reported__num,
        COUNT(CASE WHEN mrr_snapshots.mrr > 0 THEN 1 END) AS paying_accounts__num
      FROM mrr_snapshots AS mrr_snapshots
      WHERE
        NOT mrr_snapshots.snapshot_date IS NULL
      GROUP BY
        CAST(TIMESTAMP_TRUNC(mrr_snapshots.snapshot_date, MONTH) AS DATE),
        CAST(mrr_snapshots.snapshot_date AS DATE)
    ) AS per_day
  ) AS ranked
  WHERE
    snapshot_day = last_day
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_mrr_snapshots_snapshot_date_last
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
    COALESCE(agg_mrr_snapshots_snapshot_date_last.mrr_reported__num, 0)
  ) AS FLOAT64) / NULLIF((
    COALESCE(agg_mrr_snapshots_snapshot_date_last.paying_accounts__num, 0)
  ), 0) AS average_revenue_per_account
FROM spine
LEFT JOIN agg_mrr_snapshots_snapshot_date_last
  ON agg_mrr_snapshots_snapshot_date_last.period = spine.period
ORDER BY
  spine.period
