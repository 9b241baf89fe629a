WITH agg_replies_replied_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(replies.replied_at, MONTH) AS DATE) AS period,
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
    CAST(TIMESTAMP_TRUNC(replies.replied_at, MONTH) AS DATE),
    replies.lead_id
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_replies_replied_at
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
    dims.prospect AS prospect
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      prospect
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
