WITH agg_subscriptions_cancelled_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(subscriptions.cancelled_at, MONTH) AS DATE) AS period,
    subscriptions.product AS product,
    COUNT(*) AS subscriptions_cancelled__num
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.cancelled_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(subscriptions.cancelled_at, MONTH) AS DATE),
    subscriptions.product
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_subscriptions_cancelled_at
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
    FROM agg_subscriptions_cancelled_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.product AS product,
  COALESCE(agg_subscriptions_cancelled_at.subscriptions_cancelled__num, 0) AS subscriptions_cancelled
FROM grid
LEFT JOIN agg_subscriptions_cancelled_at
  ON agg_subscriptions_cancelled_at.period = grid.period
  AND agg_subscriptions_cancelled_at.product IS NOT DISTINCT FROM grid.product
ORDER BY
  grid.period,
  grid.product
