WITH agg_subscriptions_started_at AS (
  SELECT
    CASE
      WHEN subscriptions.started_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, subscriptions.started_at) AS DATE)
    END AS period,
    subscriptions.product AS product,
    COUNT_BIG(*) AS active_subscriptions_at_start__opens
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.started_at IS NULL
    AND subscriptions.started_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscriptions.started_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, subscriptions.started_at) AS DATE)
    END,
    subscriptions.product
), agg_subscriptions_cancelled_at AS (
  SELECT
    CASE
      WHEN subscriptions.cancelled_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, subscriptions.cancelled_at) AS DATE)
    END AS period,
    subscriptions.product AS product,
    COUNT_BIG(*) AS active_subscriptions_at_start__closes
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.cancelled_at IS NULL
    AND subscriptions.cancelled_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN subscriptions.cancelled_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, subscriptions.cancelled_at) AS DATE)
    END,
    subscriptions.product
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2023-12-01' AS DATE)),
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-02-01' AS DATE)),
    (CAST('2024-03-01' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-05-01' AS DATE)),
    (CAST('2024-06-01' AS DATE)),
    (CAST('2024-07-01' AS DATE)),
    (CAST('2024-08-01' AS DATE)),
    (CAST('2024-09-01' AS DATE)),
    (CAST('2024-10-01' AS DATE)),
    (CAST('2024-11-01' AS DATE)),
    (CAST('2024-12-01' AS DATE)),
    (CAST('2025-01-01' AS DATE)),
    (CAST('2025-02-01' AS DATE)),
    (CAST('2025-03-01' AS DATE)),
    (CAST('2025-04-01' AS DATE)),
    (CAST('2025-05-01' AS DATE)),
    (CAST('2025-06-01' AS DATE)),
    (CAST('2025-07-01' AS DATE)),
    (CAST('2025-08-01' AS DATE)),
    (CAST('2025-09-01' AS DATE)),
    (CAST('2025-10-01' AS DATE)),
    (CAST('2025-11-01' AS DATE)),
    (CAST('2025-12-01' AS DATE))) AS periods(period)
), grid AS (
  SELECT
    spine.period AS period,
    dims.product AS product
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
    grid.period AS period,
    grid.product AS product,
    COALESCE(
      SUM(
        COALESCE(agg_subscriptions_started_at.active_subscriptions_at_start__opens, 0) - COALESCE(agg_subscriptions_cancelled_at.active_subscriptions_at_start__closes, 0)
      ) OVER (
        PARTITION BY grid.product
        ORDER BY grid.period
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
      ),
      0
    ) AS active_subscriptions_at_start
  FROM grid
  LEFT JOIN agg_subscriptions_started_at
    ON agg_subscriptions_started_at.period = grid.period
    AND agg_subscriptions_started_at.product IS NOT DISTINCT FROM grid.product
  LEFT JOIN agg_subscriptions_cancelled_at
    ON agg_subscriptions_cancelled_at.period = grid.period
    AND agg_subscriptions_cancelled_at.product IS NOT DISTINCT FROM grid.product
)
SELECT
  period,
  product,
  active_subscriptions_at_start
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period,
  product
