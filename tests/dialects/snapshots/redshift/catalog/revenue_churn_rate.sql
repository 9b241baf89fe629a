WITH agg_subscription_events_event_at AS (
  SELECT
    CASE
      WHEN subscription_events.event_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_TRUNC('MONTH', subscription_events.event_at) AS DATE)
    END AS period,
    SUM(subscription_events.mrr_delta) AS mrr_at_start__opens,
    SUM(
      CASE
        WHEN subscription_events.event_type = 'churn'
        AND subscription_events.event_at >= CAST('2023-12-01' AS DATE)
        THEN -subscription_events.mrr_delta
      END
    ) AS churned_mrr__num,
    SUM(
      CASE
        WHEN subscription_events.event_type = 'contraction'
        AND subscription_events.event_at >= CAST('2023-12-01' AS DATE)
        THEN -subscription_events.mrr_delta
      END
    ) AS contraction_mrr__num
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
      (
        COALESCE(agg_subscription_events_event_at.churned_mrr__num, 0)
      ) + (
        COALESCE(agg_subscription_events_event_at.contraction_mrr__num, 0)
      )
    ) AS DOUBLE PRECISION) / NULLIF(
      (
        COALESCE(
          SUM(COALESCE(agg_subscription_events_event_at.mrr_at_start__opens, 0)) OVER (ORDER BY spine.period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
          0
        )
      ),
      0
    ) AS revenue_churn_rate
  FROM spine
  LEFT JOIN agg_subscription_events_event_at
    ON agg_subscription_events_event_at.period = spine.period
)
SELECT
  period,
  revenue_churn_rate
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period
