WITH agg_support_tickets_opened_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(support_tickets.opened_at, MONTH) AS DATE) AS period,
    COUNT(*) AS support_tickets__num
  FROM support_tickets AS support_tickets
  WHERE
    NOT support_tickets.opened_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(support_tickets.opened_at, MONTH) AS DATE)
), agg_product_sessions_started_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(product_sessions.started_at, MONTH) AS DATE) AS period,
    COUNT(DISTINCT product_sessions.user_id) AS active_users__num
  FROM product_sessions AS product_sessions
  WHERE
    NOT product_sessions.started_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(product_sessions.started_at, MONTH) AS DATE)
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
    COALESCE(agg_support_tickets_opened_at.support_tickets__num, 0)
  ) AS FLOAT64) / NULLIF((
    COALESCE(agg_product_sessions_started_at.active_users__num, 0)
  ), 0) AS tickets_per_user
FROM spine
LEFT JOIN agg_support_tickets_opened_at
  ON agg_support_tickets_opened_at.period = spine.period
LEFT JOIN agg_product_sessions_started_at
  ON agg_product_sessions_started_at.period = spine.period
ORDER BY
  spine.period
