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
        CAST(DATE_TRUNC('MONTH', mrr_snapshots.snapshot_date) AS DATE) AS period,
        CAST(mrr_snapshots.snapshot_date AS DATE) AS snapshot_day,
        SUM(mrr_snapshots.mrr) AS mrr_reported__num,
        COUNT(CASE WHEN mrr_snapshots.mrr > 0 THEN 1 END) AS paying_accounts__num
      FROM mrr_snapshots AS mrr_snapshots
      WHERE
        NOT mrr_snapshots.snapshot_date IS NULL
      GROUP BY
        CAST(DATE_TRUNC('MONTH', mrr_snapshots.snapshot_date) AS DATE),
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
    CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF('DAY', bounds.lo, bounds.hi)
    AND CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) <= bounds.hi
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_mrr_snapshots_snapshot_date_last.mrr_reported__num, 0)
  ) AS DOUBLE) / NULLIF((
    COALESCE(agg_mrr_snapshots_snapshot_date_last.paying_accounts__num, 0)
  ), 0) AS average_revenue_per_account
FROM spine
LEFT JOIN agg_mrr_snapshots_snapshot_date_last
  ON agg_mrr_snapshots_snapshot_date_last.period = spine.period
ORDER BY
  spine.period
