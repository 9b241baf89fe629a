WITH agg_client_conversations_occurred_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', client_conversations.occurred_at) AS DATE) AS period,
    COUNT(*) AS client_conversations__num
  FROM client_conversations AS client_conversations
  WHERE
    NOT client_conversations.occurred_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', client_conversations.occurred_at) AS DATE)
), agg_mrr_snapshots_snapshot_date_last AS (
  SELECT
    period,
    paying_accounts__num
  FROM (
    SELECT
      *,
      MAX(snapshot_day) OVER (PARTITION BY period) AS last_day
    FROM (
      SELECT
        CAST(DATE_TRUNC('MONTH', mrr_snapshots.snapshot_date) AS DATE) AS period,
        CAST(mrr_snapshots.snapshot_date AS DATE) AS snapshot_day,
        COUNT(*) AS paying_accounts__num
      FROM mrr_snapshots AS mrr_snapshots
      WHERE
        NOT mrr_snapshots.snapshot_date IS NULL AND mrr_snapshots.mrr > 0
      GROUP BY
        CAST(DATE_TRUNC('MONTH', mrr_snapshots.snapshot_date) AS DATE),
        CAST(mrr_snapshots.snapshot_date AS DATE)
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
    FROM agg_client_conversations_occurred_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_mrr_snapshots_snapshot_date_last
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(mrr_snapshots.snapshot_date)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(mrr_snapshots.snapshot_date)) AS DATE) AS hi
    FROM mrr_snapshots AS mrr_snapshots
  ) AS scans
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
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_client_conversations_occurred_at.client_conversations__num, 0)
  ) AS DOUBLE PRECISION) / NULLIF((
    COALESCE(agg_mrr_snapshots_snapshot_date_last.paying_accounts__num, 0)
  ), 0) AS conversations_per_client
FROM spine
LEFT JOIN agg_client_conversations_occurred_at
  ON agg_client_conversations_occurred_at.period = spine.period
LEFT JOIN agg_mrr_snapshots_snapshot_date_last
  ON agg_mrr_snapshots_snapshot_date_last.period = spine.period
ORDER BY
  spine.period
