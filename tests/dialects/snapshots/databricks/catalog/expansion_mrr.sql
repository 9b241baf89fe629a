WITH agg_subscription_events_event_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', subscription_events.event_at) AS DATE) AS period,
    subscription_events.product AS product,
    SUM(subscription_events.mrr_delta) AS expansion_mrr__num
  FROM subscription_events AS subscription_events
  WHERE
    NOT subscription_events.event_at IS NULL
    AND subscription_events.event_type = 'expansion'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', subscription_events.event_at) AS DATE),
    subscription_events.product
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_subscription_events_event_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(subscription_events.event_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(subscription_events.event_at)) AS DATE) AS hi
    FROM subscription_events AS subscription_events
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
  COALESCE(agg_subscription_events_event_at.expansion_mrr__num, 0) AS expansion_mrr
FROM grid
LEFT JOIN agg_subscription_events_event_at
  ON agg_subscription_events_event_at.period = grid.period
  AND agg_subscription_events_event_at.product IS NOT DISTINCT FROM grid.product
ORDER BY
  grid.period,
  grid.product
