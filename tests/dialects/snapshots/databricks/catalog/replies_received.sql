WITH agg_replies_replied_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', replies.replied_at) AS DATE) AS period,
    replies.sentiment AS sentiment,
    COUNT(*) AS replies_received__num
  FROM replies AS replies
  WHERE
    NOT replies.replied_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', replies.replied_at) AS DATE),
    replies.sentiment
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_replies_replied_at
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
    dims.sentiment AS sentiment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      sentiment
    FROM agg_replies_replied_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.sentiment AS sentiment,
  COALESCE(agg_replies_replied_at.replies_received__num, 0) AS replies_received
FROM grid
LEFT JOIN agg_replies_replied_at
  ON agg_replies_replied_at.period = grid.period
  AND agg_replies_replied_at.sentiment IS NOT DISTINCT FROM grid.sentiment
ORDER BY
  grid.period,
  grid.sentiment
