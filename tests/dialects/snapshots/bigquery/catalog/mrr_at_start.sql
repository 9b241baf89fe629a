WITH agg_subscription_events_event_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(subscription_events.event_at, MONTH) AS DATE) AS period,
    subscription_events.product AS product,
    SUM(subscription_events.mrr_delta) AS mrr_at_start__opens
  FROM subscription_events AS subscription_events
  WHERE
    NOT subscription_events.event_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(subscription_events.event_at, MONTH) AS DATE),
    subscription_events.product
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_subscription_events_event_at
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
), grid AS (
  SELECT
    spine.period AS period,
    dims.product AS product
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      product
    FROM agg_subscription_events_event_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.product AS product,
  COALESCE(
    SUM(COALESCE(agg_subscription_events_event_at.mrr_at_start__opens, 0)) OVER (
      PARTITION BY grid.product
      ORDER BY grid.period
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ),
    0
  ) AS mrr_at_start
FROM grid
LEFT JOIN agg_subscription_events_event_at
  ON agg_subscription_events_event_at.period = grid.period
  AND agg_subscription_events_event_at.product IS NOT DISTINCT FROM grid.product
ORDER BY
  grid.period,
  grid.product
