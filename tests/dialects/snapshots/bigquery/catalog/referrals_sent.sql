WITH agg_referrals_sent_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(referrals.sent_at, MONTH) AS DATE) AS period,
    reps.region AS region,
    COUNT(*) AS referrals_sent__num
  FROM referrals AS referrals
  LEFT JOIN reps AS reps
    ON referrals.rep_id = reps.rep_id
  WHERE
    NOT referrals.sent_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(referrals.sent_at, MONTH) AS DATE),
    reps.region
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_referrals_sent_at
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
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM agg_referrals_sent_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  COALESCE(agg_referrals_sent_at.referrals_sent__num, 0) AS referrals_sent
FROM grid
LEFT JOIN agg_referrals_sent_at
  ON agg_referrals_sent_at.period = grid.period
  AND agg_referrals_sent_at.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
