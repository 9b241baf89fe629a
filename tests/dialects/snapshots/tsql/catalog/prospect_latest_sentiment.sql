WITH agg_replies_replied_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, replies.replied_at) AS DATE) AS period,
    replies.lead_id AS prospect,
    (
      CASE
        WHEN MAX(replies.replied_at) = MAX(CASE WHEN replies.sentiment = 'positive' THEN replies.replied_at END)
        THEN 2
        WHEN MAX(replies.replied_at) = MAX(CASE WHEN replies.sentiment = 'neutral' THEN replies.replied_at END)
        THEN 1
        WHEN MAX(replies.replied_at) = MAX(CASE WHEN replies.sentiment = 'negative' THEN replies.replied_at END)
        THEN 0
      END
    ) AS prospect_latest_sentiment__num
  FROM replies AS replies
  WHERE
    NOT replies.replied_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, replies.replied_at) AS DATE),
    replies.lead_id
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
    dims.prospect AS prospect
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      prospect AS prospect
    FROM agg_replies_replied_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.prospect AS prospect,
  agg_replies_replied_at.prospect_latest_sentiment__num AS prospect_latest_sentiment
FROM grid
LEFT JOIN agg_replies_replied_at
  ON agg_replies_replied_at.period = grid.period
  AND agg_replies_replied_at.prospect IS NOT DISTINCT FROM grid.prospect
ORDER BY
  grid.period,
  grid.prospect
