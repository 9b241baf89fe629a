WITH agg_mrr_snapshots_snapshot_date_last AS (
  SELECT
    period AS period,
    segment AS segment,
    mrr_reported__num AS mrr_reported__num
  FROM (
    SELECT
      *,
      MAX(snapshot_day) OVER (PARTITION BY period) AS last_day
    FROM (
      SELECT
        CAST(DATETRUNC(MONTH, mrr_snapshots.snapshot_date) AS DATE) AS period,
        accounts.segment AS segment,
        CAST(mrr_snapshots.snapshot_date AS DATE) AS snapshot_day,
        SUM(mrr_snapshots.mrr) AS mrr_reported__num
      FROM mrr_snapshots AS mrr_snapshots
      LEFT JOIN accounts AS accounts
        ON mrr_snapshots.account_id = accounts.account_id
      WHERE
        NOT mrr_snapshots.snapshot_date IS NULL
        AND mrr_snapshots.snapshot_date >= CAST('2024-01-01' AS DATE)
        AND mrr_snapshots.snapshot_date < CAST('2026-01-01' AS DATE)
      GROUP BY
        CAST(DATETRUNC(MONTH, mrr_snapshots.snapshot_date) AS DATE),
        accounts.segment,
        CAST(mrr_snapshots.snapshot_date AS DATE)
    ) AS per_day
  ) AS ranked
  WHERE
    snapshot_day = last_day
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-02-01' AS DATE)),
    (CAST('2024-03-01' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-05-01' AS DATE)),
    (CAST('2024-06-01' AS DATE)),
    (CAST('2024-07-01' AS DATE)),
    (CAST('2024-08-01' AS DATE)),
    (CAST('2024-09-01' AS DATE)),
    (CAST('2024-10-01' AS DATE)),
    (CAST('2024-11-01' AS DATE)),
    (CAST('2024-12-01' AS DATE)),
    (CAST('2025-01-01' AS DATE)),
    (CAST('2025-02-01' AS DATE)),
    (CAST('2025-03-01' AS DATE)),
    (CAST('2025-04-01' AS DATE)),
    (CAST('2025-05-01' AS DATE)),
    (CAST('2025-06-01' AS DATE)),
    (CAST('2025-07-01' AS DATE)),
    (CAST('2025-08-01' AS DATE)),
    (CAST('2025-09-01' AS DATE)),
    (CAST('2025-10-01' AS DATE)),
    (CAST('2025-11-01' AS DATE)),
    (CAST('2025-12-01' AS DATE))) AS periods(period)
), grid AS (
  SELECT
    spine.period AS period,
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment AS segment
    FROM agg_mrr_snapshots_snapshot_date_last
  ) AS dims
)
SELECT
  grid.period,
  grid.segment AS segment,
  COALESCE(agg_mrr_snapshots_snapshot_date_last.mrr_reported__num, 0) AS mrr_reported
FROM grid
LEFT JOIN agg_mrr_snapshots_snapshot_date_last
  ON agg_mrr_snapshots_snapshot_date_last.period = grid.period
  AND agg_mrr_snapshots_snapshot_date_last.segment IS NOT DISTINCT FROM grid.segment
ORDER BY
  grid.period,
  grid.segment
