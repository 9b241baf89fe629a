WITH agg_replies_replied_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', replies.replied_at) AS DATE) AS period,
    replies.sentiment AS sentiment,
    COUNT(CASE WHEN NOT replies.meeting_booked_at IS NULL THEN 1 END) AS meeting_acceptance_rate__num,
    COUNT(*) AS meeting_acceptance_rate__den
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
  CASE
    WHEN COALESCE(agg_replies_replied_at.meeting_acceptance_rate__den, 0) >= 10
    THEN CAST(COALESCE(agg_replies_replied_at.meeting_acceptance_rate__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_replies_replied_at.meeting_acceptance_rate__den, 0), 0)
  END AS meeting_acceptance_rate
FROM grid
LEFT JOIN agg_replies_replied_at
  ON agg_replies_replied_at.period = grid.period
  AND agg_replies_replied_at.sentiment IS NOT DISTINCT FROM grid.sentiment
ORDER BY
  grid.period,
  grid.sentiment
