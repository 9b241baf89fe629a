WITH agg_product_sessions_started_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', product_sessions.started_at) AS DATE) AS period,
    accounts.segment AS segment,
    AVG(product_sessions.duration_seconds) / 60 AS session_duration__num
  FROM product_sessions AS product_sessions
  LEFT JOIN accounts AS accounts
    ON product_sessions.account_id = accounts.account_id
  WHERE
    NOT product_sessions.started_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', product_sessions.started_at) AS DATE),
    accounts.segment
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_product_sessions_started_at
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
), grid AS (
  SELECT
    spine.period AS period,
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_product_sessions_started_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.segment AS segment,
  agg_product_sessions_started_at.session_duration__num AS session_duration
FROM grid
LEFT JOIN agg_product_sessions_started_at
  ON agg_product_sessions_started_at.period = grid.period
  AND agg_product_sessions_started_at.segment IS NOT DISTINCT FROM grid.segment
ORDER BY
  grid.period,
  grid.segment
