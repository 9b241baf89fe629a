WITH agg_subscriptions_cancelled_at AS (
  SELECT
    CASE
      WHEN subscriptions.cancelled_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_TRUNC('MONTH', subscriptions.cancelled_at) AS DATE)
    END AS period,
    COUNT(CASE WHEN subscriptions.cancelled_at >= CAST('2023-12-01' AS DATE) THEN 1 END) AS subscriptions_cancelled__num,
    COUNT(*) AS active_subscriptions_at_start__closes,
    COUNT(*) AS active_subscriptions__closes
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.cancelled_at IS NULL
    AND subscriptions.cancelled_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscriptions.cancelled_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_TRUNC('MONTH', subscriptions.cancelled_at) AS DATE)
    END
), agg_subscriptions_started_at AS (
  SELECT
    CASE
      WHEN subscriptions.started_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_TRUNC('MONTH', subscriptions.started_at) AS DATE)
    END AS period,
    COUNT(*) AS active_subscriptions_at_start__opens,
    COUNT(*) AS active_subscriptions__opens
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.started_at IS NULL
    AND subscriptions.started_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscriptions.started_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_TRUNC('MONTH', subscriptions.started_at) AS DATE)
    END
), agg_subscription_events_event_at AS (
  SELECT
    CASE
      WHEN subscription_events.event_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_TRUNC('MONTH', subscription_events.event_at) AS DATE)
    END AS period,
    SUM(subscription_events.mrr_delta) AS mrr__opens
  FROM subscription_events AS subscription_events
  WHERE
    NOT subscription_events.event_at IS NULL
    AND subscription_events.event_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscription_events.event_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_TRUNC('MONTH', subscription_events.event_at) AS DATE)
    END
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST('2023-12-01' AS DATE) AS period
    UNION ALL
    SELECT
      CAST('2024-01-01' AS DATE)
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
), stage1 AS (
  SELECT
    spine.period,
    CAST((
      CAST((
        SUM(COALESCE(agg_subscription_events_event_at.mrr__opens, 0)) OVER (ORDER BY spine.period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      ) AS DOUBLE PRECISION) / NULLIF(
        (
          SUM(
            COALESCE(agg_subscriptions_started_at.active_subscriptions__opens, 0) - COALESCE(agg_subscriptions_cancelled_at.active_subscriptions__closes, 0)
          ) OVER (ORDER BY spine.period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        0
      )
    ) * 0.78 AS DOUBLE PRECISION) / NULLIF(
      (
        CAST((
          COALESCE(agg_subscriptions_cancelled_at.subscriptions_cancelled__num, 0)
        ) AS DOUBLE PRECISION) / NULLIF(
          (
            COALESCE(
              SUM(
                COALESCE(agg_subscriptions_started_at.active_subscriptions_at_start__opens, 0) - COALESCE(agg_subscriptions_cancelled_at.active_subscriptions_at_start__closes, 0)
              ) OVER (ORDER BY spine.period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
              0
            )
          ),
          0
        )
      ),
      0
    ) AS customer_lifetime_value
  FROM spine
  LEFT JOIN agg_subscriptions_cancelled_at
    ON agg_subscriptions_cancelled_at.period = spine.period
  LEFT JOIN agg_subscriptions_started_at
    ON agg_subscriptions_started_at.period = spine.period
  LEFT JOIN agg_subscription_events_event_at
    ON agg_subscription_events_event_at.period = spine.period
)
SELECT
  period,
  customer_lifetime_value
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period
