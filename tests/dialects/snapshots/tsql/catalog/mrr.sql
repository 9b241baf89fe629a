WITH agg_subscription_events_event_at AS (
  SELECT
    CASE
      WHEN subscription_events.event_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, subscription_events.event_at) AS DATE)
    END AS period,
    subscription_events.product AS product,
    SUM(subscription_events.mrr_delta) AS mrr__opens
  FROM subscription_events AS subscription_events
  WHERE
    NOT subscription_events.event_at IS NULL
    AND subscription_events.event_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscription_events.event_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, subscription_events.event_at) AS DATE)
    END,
    subscription_events.product
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2023-12-01' AS DATE)),
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
    dims.product AS product
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      product AS product
    FROM agg_subscription_events_event_at
  ) AS dims
), stage1 AS (
  SELECT
    grid.period AS period,
    grid.product AS product,
    SUM(COALESCE(agg_subscription_events_event_at.mrr__opens, 0)) OVER (
      PARTITION BY grid.product
      ORDER BY grid.period
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS mrr
  FROM grid
  LEFT JOIN agg_subscription_events_event_at
    ON agg_subscription_events_event_at.period = grid.period
    AND agg_subscription_events_event_at.product IS NOT DISTINCT FROM grid.product
)
SELECT
  period,
  product,
  mrr
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period,
  product
