WITH agg_client_conversations_occurred_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', client_conversations.occurred_at) AS DATE) AS period,
    client_conversations.channel AS conversation_channel,
    COUNT(*) AS client_conversations__num
  FROM client_conversations AS client_conversations
  WHERE
    NOT client_conversations.occurred_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', client_conversations.occurred_at) AS DATE),
    client_conversations.channel
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_client_conversations_occurred_at
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
