WITH agg_opportunities_closed_at AS (
  SELECT
    MAKE_DATE(
      (
        YEAR(opportunities.closed_at) * 12 + MONTH(opportunities.closed_at) - 1
      ) // 12,
      (
        YEAR(opportunities.closed_at) * 12 + MONTH(opportunities.closed_at) - 1
      ) % 12 + 1,
      1
    ) AS period,
    reps.region AS region,
    COUNT_IF(opportunities.stage = 'won') AS win_rate__num,
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
    YEAR(opportunities.closed_at) * 12 + MONTH(opportunities.closed_at) - 1,
    reps.region
), spine AS (
  SELECT
    period
  FROM UNNEST(CAST(GENERATE_SERIES(CAST('2024-01-01' AS DATE), CAST('2024-12-01' AS DATE), INTERVAL '1' MONTH) AS DATE[])) AS periods(period)
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
