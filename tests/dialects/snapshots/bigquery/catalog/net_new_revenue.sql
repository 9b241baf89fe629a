WITH agg_subscription_events_event_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(subscription_events.event_at, MONTH) AS DATE) AS period,
    SUM(
      CASE
        WHEN subscription_events.event_type = 'churn'
        THEN -subscription_events.mrr_delta
      END
    ) AS churned_mrr__num,
    SUM(
      CASE
        WHEN subscription_events.event_type = 'contraction'
        THEN -subscription_events.mrr_delta
      END
    ) AS contraction_mrr__num,
    SUM(
      CASE
        WHEN subscription_events.event_type = 'new'
        THEN subscription_events.mrr_delta
      END
    ) AS new_mrr__num,
    SUM(
      CASE
        WHEN subscription_events.event_type = 'expansion'
        THEN subscription_events.mrr_delta
      END
    ) AS expansion_mrr__num
  FROM subscription_events AS subscription_events
  WHERE
    NOT subscription_events.event_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(subscription_events.event_at, MONTH) AS DATE)
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
)
SELECT
  spine.period AS period,
  12 * (
    (
      COALESCE(agg_subscription_events_event_at.new_mrr__num, 0)
    ) + (
      COALESCE(agg_subscription_events_event_at.expansion_mrr__num, 0)
    ) - (
      COALESCE(agg_subscription_events_event_at.contraction_mrr__num, 0)
    ) - (
      COALESCE(agg_subscription_events_event_at.churned_mrr__num, 0)
    )
  ) AS net_new_revenue
FROM spine
LEFT JOIN agg_subscription_events_event_at
  ON agg_subscription_events_event_at.period = spine.period
ORDER BY
  spine.period
