WITH agg_subscription_events_event_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', subscription_events.event_at) AS DATE) AS period,
    subscription_events.product AS product,
    SUM(subscription_events.mrr_delta) AS new_mrr__num
  FROM subscription_events AS subscription_events
  WHERE
    NOT subscription_events.event_at IS NULL
    AND subscription_events.event_type = 'new'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', subscription_events.event_at) AS DATE),
    subscription_events.product
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_subscription_events_event_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(subscription_events.event_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(subscription_events.event_at)) AS DATE) AS hi
    FROM subscription_events AS subscription_events
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
    SELECT DISTINCT
      product
    FROM agg_subscription_events_event_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.product AS product,
  COALESCE(agg_subscription_events_event_at.new_mrr__num, 0) AS new_mrr
FROM grid
LEFT JOIN agg_subscription_events_event_at
  ON agg_subscription_events_event_at.period = grid.period
  AND (
    COALESCE(CAST(agg_subscription_events_event_at.product AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.product AS VARCHAR(MAX)), '')
    AND (
      agg_subscription_events_event_at.product IS NULL
    ) = (
      grid.product IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.product
