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
    CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF('DAY', bounds.lo, bounds.hi)
    AND CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) <= bounds.hi
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
