WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    reps.region AS region,
    COUNT(CASE WHEN opportunities.stage = 'won' THEN 1 END) AS win_rate__num,
    COUNT(*) AS win_rate__den
  FROM opportunities AS opportunities
  LEFT JOIN reps AS reps
    ON opportunities.owner_rep_id = reps.rep_id
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
    AND opportunities.closed_at < CAST('2025-01-01' AS DATE)
    AND opportunities.stage IN ('won', 'lost')
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE),
    reps.region
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
    CAST(DATEADD(MONTH, d0.d + d1.d * 10, CAST('2024-01-01' AS DATE)) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  WHERE
    d0.d + d1.d * 10 < 12
), grid AS (
  SELECT
    spine.period AS period,
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM agg_opportunities_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  CASE
    WHEN COALESCE(agg_opportunities_closed_at.win_rate__den, 0) >= 5
    THEN CAST(COALESCE(agg_opportunities_closed_at.win_rate__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_opportunities_closed_at.win_rate__den, 0), 0)
  END AS win_rate
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
