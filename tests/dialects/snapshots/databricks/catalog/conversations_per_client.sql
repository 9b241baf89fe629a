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
    COALESCE(agg_client_conversations_occurred_at.client_conversations__num, 0)
  ) AS DOUBLE) / NULLIF((
    COALESCE(agg_mrr_snapshots_snapshot_date_last.paying_accounts__num, 0)
  ), 0) AS conversations_per_client
FROM spine
LEFT JOIN agg_client_conversations_occurred_at
  ON agg_client_conversations_occurred_at.period = spine.period
LEFT JOIN agg_mrr_snapshots_snapshot_date_last
  ON agg_mrr_snapshots_snapshot_date_last.period = spine.period
ORDER BY
  spine.period
