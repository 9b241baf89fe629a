WITH agg_subscriptions_cancelled_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(subscriptions.cancelled_at, MONTH) AS DATE) AS period,
    COUNT(*) AS subscriptions_cancelled__num,
    COUNT(*) AS active_subscriptions_at_start__closes
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.cancelled_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(subscriptions.cancelled_at, MONTH) AS DATE)
), agg_subscriptions_started_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(subscriptions.started_at, MONTH) AS DATE) AS period,
    COUNT(*) AS active_subscriptions_at_start__opens
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.started_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(subscriptions.started_at, MONTH) AS DATE)
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_subscriptions_cancelled_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_subscriptions_started_at
  ) AS scans
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
  CAST((
    COALESCE(agg_subscriptions_cancelled_at.subscriptions_cancelled__num, 0)
  ) AS FLOAT64) / NULLIF(
    (
      COALESCE(
        SUM(
          COALESCE(agg_subscriptions_started_at.active_subscriptions_at_start__opens, 0) - COALESCE(agg_subscriptions_cancelled_at.active_subscriptions_at_start__closes, 0)
        ) OVER (ORDER BY spine.period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
        0
      )
    ),
    0
  ) AS customer_churn_rate
FROM spine
LEFT JOIN agg_subscriptions_cancelled_at
  ON agg_subscriptions_cancelled_at.period = spine.period
LEFT JOIN agg_subscriptions_started_at
  ON agg_subscriptions_started_at.period = spine.period
ORDER BY
  spine.period
