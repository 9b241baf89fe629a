WITH agg_subscription_events_event_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscription_events.event_at)) MONTH
    ) AS DATE) AS period,
    subscription_events.product AS product,
    SUM(subscription_events.mrr_delta) AS expansion_mrr__num
  FROM subscription_events AS subscription_events
  WHERE
    NOT subscription_events.event_at IS NULL
    AND subscription_events.event_at >= CAST('2024-01-01' AS DATE)
    AND subscription_events.event_at < CAST('2026-01-01' AS DATE)
    AND subscription_events.event_type = 'expansion'
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscription_events.event_at)) MONTH
    ) AS DATE),
    subscription_events.product
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST('2024-01-01' AS DATE) AS period
    UNION ALL
    SELECT
      CAST('2024-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-12-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-01-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-12-01' AS DATE)
  ) AS periods
), grid AS (
  SELECT
    spine.period,
    dims.product
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      product
    FROM agg_subscription_events_event_at
  ) AS dims
)
SELECT
  grid.period,
  grid.product AS product,
  COALESCE(agg_subscription_events_event_at.expansion_mrr__num, 0) AS expansion_mrr
FROM grid
LEFT JOIN agg_subscription_events_event_at
  ON agg_subscription_events_event_at.period = grid.period
  AND agg_subscription_events_event_at.product <=> grid.product
ORDER BY
  grid.period,
  grid.product
