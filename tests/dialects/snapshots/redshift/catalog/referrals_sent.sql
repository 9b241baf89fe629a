WITH agg_referrals_sent_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', referrals.sent_at) AS DATE) AS period,
    reps.region AS region,
    COUNT(*) AS referrals_sent__num
  FROM referrals AS referrals
  LEFT JOIN reps AS reps
    ON referrals.rep_id = reps.rep_id
  WHERE
    NOT referrals.sent_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', referrals.sent_at) AS DATE),
    reps.region
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_referrals_sent_at
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
  AND (
    COALESCE(CAST(agg_referrals_sent_at.region AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.region AS VARCHAR(MAX)), '')
    AND (
      agg_referrals_sent_at.region IS NULL
    ) = (
      grid.region IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.region
