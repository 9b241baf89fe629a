WITH agg_opportunities_closed_at AS (
  SELECT
    opportunities.fence_key_0 AS period,
    opportunities.fence_key_1 AS region,
    SUM(opportunities.amount) AS won_revenue__num,
    COUNT(*) AS deals_won__num
  FROM (
    SELECT
      CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS fence_key_0,
      reps.region AS fence_key_1,
      opportunities.*
    FROM opportunities AS opportunities
    LEFT JOIN reps AS reps
      ON opportunities.owner_rep_id = reps.rep_id
    WHERE
      NOT opportunities.closed_at IS NULL
      AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
      AND opportunities.closed_at < CAST('2025-01-01' AS DATE)
      AND opportunities.stage = 'won'
    OFFSET 0
  ) AS opportunities
  GROUP BY
    opportunities.fence_key_0,
    opportunities.fence_key_1
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST(value AS DATE)
    FROM GENERATE_SERIES(CAST('2024-01-01' AS DATE), CAST('2024-12-01' AS DATE), INTERVAL '1 MONTH') AS _t(value)
  ) AS periods(period)
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
  CAST((
    COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
  ) AS DOUBLE PRECISION) / NULLIF((
    COALESCE(agg_opportunities_closed_at.deals_won__num, 0)
  ), 0) AS average_deal_size
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND (
    COALESCE(CAST(agg_opportunities_closed_at.region AS TEXT), '') = COALESCE(CAST(grid.region AS TEXT), '')
    AND (
      agg_opportunities_closed_at.region IS NULL
    ) = (
      grid.region IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.region
