WITH agg_subscriptions_started_at AS (
  SELECT
    CASE
      WHEN subscriptions.started_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscriptions.started_at)) MONTH
      ) AS DATE)
    END AS period,
    subscriptions.product AS product,
    COUNT(*) AS active_subscriptions__opens
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.started_at IS NULL
    AND subscriptions.started_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscriptions.started_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscriptions.started_at)) MONTH
      ) AS DATE)
    END,
    subscriptions.product
), agg_subscriptions_cancelled_at AS (
  SELECT
    CASE
      WHEN subscriptions.cancelled_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscriptions.cancelled_at)) MONTH
      ) AS DATE)
    END AS period,
    subscriptions.product AS product,
    COUNT(*) AS active_subscriptions__closes
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.cancelled_at IS NULL
    AND subscriptions.cancelled_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscriptions.cancelled_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', subscriptions.cancelled_at)) MONTH
      ) AS DATE)
    END,
    subscriptions.product
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
), grid AS (
  SELECT
    spine.period,
    dims.product
  FROM spine
  CROSS JOIN (
    SELECT
      product
    FROM agg_subscriptions_started_at
    UNION
    SELECT
      product
    FROM agg_subscriptions_cancelled_at
  ) AS dims
), stage1 AS (
  SELECT
    grid.period,
    grid.product AS product,
    SUM(
      COALESCE(agg_subscriptions_started_at.active_subscriptions__opens, 0) - COALESCE(agg_subscriptions_cancelled_at.active_subscriptions__closes, 0)
    ) OVER (
      PARTITION BY grid.product
      ORDER BY grid.period
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS active_subscriptions
  FROM grid
  LEFT JOIN agg_subscriptions_started_at
    ON agg_subscriptions_started_at.period = grid.period
    AND agg_subscriptions_started_at.product <=> grid.product
  LEFT JOIN agg_subscriptions_cancelled_at
    ON agg_subscriptions_cancelled_at.period = grid.period
    AND agg_subscriptions_cancelled_at.product <=> grid.product
)
SELECT
  period,
  product,
  active_subscriptions
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period,
  product
