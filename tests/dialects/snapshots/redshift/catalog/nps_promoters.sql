WITH agg_nps_responses_responded_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', nps_responses.responded_at) AS DATE) AS period,
    accounts.segment AS segment,
    COUNT(CASE WHEN nps_responses.score >= 9 THEN 1 END) AS nps_promoters__num,
    COUNT(*) AS nps_promoters__den
  FROM nps_responses AS nps_responses
  LEFT JOIN accounts AS accounts
    ON nps_responses.account_id = accounts.account_id
  WHERE
    NOT nps_responses.responded_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', nps_responses.responded_at) AS DATE),
    accounts.segment
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_nps_responses_responded_at
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
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_nps_responses_responded_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.segment AS segment,
  CAST(COALESCE(agg_nps_responses_responded_at.nps_promoters__num, 0) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_nps_responses_responded_at.nps_promoters__den, 0), 0) AS nps_promoters
FROM grid
LEFT JOIN agg_nps_responses_responded_at
  ON agg_nps_responses_responded_at.period = grid.period
  AND (
    COALESCE(CAST(agg_nps_responses_responded_at.segment AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.segment AS VARCHAR(MAX)), '')
    AND (
      agg_nps_responses_responded_at.segment IS NULL
    ) = (
      grid.segment IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.segment
