WITH agg_client_conversations_occurred_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(client_conversations.occurred_at, MONTH) AS DATE) AS period,
    client_conversations.channel AS conversation_channel,
    COUNT(*) AS client_conversations__num
  FROM client_conversations AS client_conversations
  WHERE
    NOT client_conversations.occurred_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(client_conversations.occurred_at, MONTH) AS DATE),
    client_conversations.channel
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_client_conversations_occurred_at
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
    dims.conversation_channel AS conversation_channel
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      conversation_channel
    FROM agg_client_conversations_occurred_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.conversation_channel AS conversation_channel,
  COALESCE(agg_client_conversations_occurred_at.client_conversations__num, 0) AS client_conversations
FROM grid
LEFT JOIN agg_client_conversations_occurred_at
  ON agg_client_conversations_occurred_at.period = grid.period
  AND agg_client_conversations_occurred_at.conversation_channel IS NOT DISTINCT FROM grid.conversation_channel
ORDER BY
  grid.period,
  grid.conversation_channel
