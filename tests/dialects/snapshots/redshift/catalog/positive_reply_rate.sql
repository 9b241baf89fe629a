WITH ent_positive_reply_rate AS (
  SELECT
    per_entity.period AS period,
    per_entity.region AS region,
    CAST(COUNT(CASE WHEN per_entity.prospect_latest_sentiment = 2 THEN 1 END) AS DOUBLE PRECISION) / NULLIF(COUNT(per_entity.prospect_latest_sentiment), 0) AS positive_reply_rate__ent
  FROM (
    WITH ent_positive_reply_rate__agg_replies_replied_at AS (
      SELECT
        CAST(DATE_TRUNC('MONTH', replies.replied_at) AS DATE) AS period,
        reps.region AS region,
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
      LEFT JOIN reps AS reps
        ON replies.rep_id = reps.rep_id
      WHERE
        NOT replies.replied_at IS NULL
      GROUP BY
        CAST(DATE_TRUNC('MONTH', replies.replied_at) AS DATE),
        reps.region,
        replies.lead_id
    )
    SELECT
      ent_positive_reply_rate__agg_replies_replied_at.period AS period,
      ent_positive_reply_rate__agg_replies_replied_at.region AS region,
      ent_positive_reply_rate__agg_replies_replied_at.prospect AS prospect,
      ent_positive_reply_rate__agg_replies_replied_at.prospect_latest_sentiment__num AS prospect_latest_sentiment
    FROM ent_positive_reply_rate__agg_replies_replied_at
  ) AS per_entity
  WHERE
    NOT per_entity.prospect IS NULL
  GROUP BY
    per_entity.period,
    per_entity.region
  UNION ALL
  SELECT
    NULL AS period,
    population.region AS region,
    NULL AS positive_reply_rate__ent
  FROM (
    SELECT DISTINCT
      reps.region AS region
    FROM replies AS replies
    LEFT JOIN reps AS reps
      ON replies.rep_id = reps.rep_id
  ) AS population
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM ent_positive_reply_rate
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
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM ent_positive_reply_rate
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  ent_positive_reply_rate.positive_reply_rate__ent AS positive_reply_rate
FROM grid
LEFT JOIN ent_positive_reply_rate
  ON ent_positive_reply_rate.period = grid.period
  AND (
    COALESCE(CAST(ent_positive_reply_rate.region AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.region AS VARCHAR(MAX)), '')
    AND (
      ent_positive_reply_rate.region IS NULL
    ) = (
      grid.region IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.region
