WITH agg_subscription_events_event_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscription_events.event_at)) MONTH
    ) AS DATE) AS period,
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
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscription_events.event_at)) MONTH
    ) AS DATE)
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_subscription_events_event_at
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
    CAST(DATE_ADD(bounds.lo, INTERVAL (d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000) MONTH) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(bounds.hi, bounds.lo)
    AND CAST(DATE_ADD(bounds.lo, INTERVAL (d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000) MONTH) AS DATE) <= bounds.hi
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
