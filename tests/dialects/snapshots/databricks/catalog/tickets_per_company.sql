WITH agg_support_tickets_opened_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', support_tickets.opened_at) AS DATE) AS period,
    COUNT(*) AS support_tickets__num
  FROM support_tickets AS support_tickets
  WHERE
    NOT support_tickets.opened_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', support_tickets.opened_at) AS DATE)
), agg_product_sessions_started_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', product_sessions.started_at) AS DATE) AS period,
    COUNT(DISTINCT product_sessions.account_id) AS active_companies__num
  FROM product_sessions AS product_sessions
  WHERE
    NOT product_sessions.started_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', product_sessions.started_at) AS DATE)
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
  FROM EXPLODE(
    SEQUENCE(
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
    )
  ) AS periods(period)
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_support_tickets_opened_at.support_tickets__num, 0)
  ) AS DOUBLE) / NULLIF((
    COALESCE(agg_product_sessions_started_at.active_companies__num, 0)
  ), 0) AS tickets_per_company
FROM spine
LEFT JOIN agg_support_tickets_opened_at
  ON agg_support_tickets_opened_at.period = spine.period
LEFT JOIN agg_product_sessions_started_at
  ON agg_product_sessions_started_at.period = spine.period
ORDER BY
  spine.period
