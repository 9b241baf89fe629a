WITH agg_subscriptions_cancelled_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', subscriptions.cancelled_at) AS DATE) AS period,
    subscriptions.product AS product,
    COUNT(*) AS subscriptions_cancelled__num
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.cancelled_at IS NULL
    AND subscriptions.cancelled_at >= CAST('2024-01-01' AS DATE)
    AND subscriptions.cancelled_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', subscriptions.cancelled_at) AS DATE),
    subscriptions.product
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
    FROM agg_subscriptions_cancelled_at
  ) AS dims
)
SELECT
  grid.period,
  grid.product AS product,
  COALESCE(agg_subscriptions_cancelled_at.subscriptions_cancelled__num, 0) AS subscriptions_cancelled
FROM grid
LEFT JOIN agg_subscriptions_cancelled_at
  ON agg_subscriptions_cancelled_at.period = grid.period
  AND agg_subscriptions_cancelled_at.product IS NOT DISTINCT FROM grid.product
ORDER BY
  grid.period,
  grid.product
