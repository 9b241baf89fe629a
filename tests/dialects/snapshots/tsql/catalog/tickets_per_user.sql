WITH agg_support_tickets_opened_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, support_tickets.opened_at) AS DATE) AS period,
    COUNT_BIG(*) AS support_tickets__num
  FROM support_tickets AS support_tickets
  WHERE
    NOT support_tickets.opened_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, support_tickets.opened_at) AS DATE)
), agg_product_sessions_started_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, product_sessions.started_at) AS DATE) AS period,
    COUNT_BIG(DISTINCT product_sessions.user_id) AS active_users__num
  FROM product_sessions AS product_sessions
  WHERE
    NOT product_sessions.started_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, product_sessions.started_at) AS DATE)
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_support_tickets_opened_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_product_sessions_started_at
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
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_support_tickets_opened_at.support_tickets__num, 0)
  ) AS FLOAT) / NULLIF((
    COALESCE(agg_product_sessions_started_at.active_users__num, 0)
  ), 0) AS tickets_per_user
FROM spine
LEFT JOIN agg_support_tickets_opened_at
  ON agg_support_tickets_opened_at.period = spine.period
LEFT JOIN agg_product_sessions_started_at
  ON agg_product_sessions_started_at.period = spine.period
ORDER BY
  spine.period
