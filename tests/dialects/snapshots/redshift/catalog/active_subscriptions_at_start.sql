WITH agg_subscriptions_started_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', subscriptions.started_at) AS DATE) AS period,
    subscriptions.product AS product,
    COUNT(*) AS active_subscriptions_at_start__opens
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.started_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', subscriptions.started_at) AS DATE),
    subscriptions.product
), agg_subscriptions_cancelled_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', subscriptions.cancelled_at) AS DATE) AS period,
    subscriptions.product AS product,
    COUNT(*) AS active_subscriptions_at_start__closes
  FROM subscriptions AS subscriptions
  WHERE
    NOT subscriptions.cancelled_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', subscriptions.cancelled_at) AS DATE),
    subscriptions.product
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_subscriptions_started_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_subscriptions_cancelled_at
  ) AS scans
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
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
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
)
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
  AND (
    COALESCE(CAST(agg_subscriptions_started_at.product AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.product AS VARCHAR(MAX)), '')
    AND (
      agg_subscriptions_started_at.product IS NULL
    ) = (
      grid.product IS NULL
    )
  )
LEFT JOIN agg_subscriptions_cancelled_at
  ON agg_subscriptions_cancelled_at.period = grid.period
  AND (
    COALESCE(CAST(agg_subscriptions_cancelled_at.product AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.product AS VARCHAR(MAX)), '')
    AND (
      agg_subscriptions_cancelled_at.product IS NULL
    ) = (
      grid.product IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.product
