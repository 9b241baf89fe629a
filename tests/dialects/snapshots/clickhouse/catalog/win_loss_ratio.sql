WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(dateTrunc('MONTH', opportunities.closed_at) AS Nullable(DATE)) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    COUNT(CASE WHEN opportunities.stage = 'won' THEN 1 END) AS deals_won__num,
    COUNT(CASE WHEN opportunities.stage = 'lost' THEN 1 END) AS deals_lost__num
  FROM opportunities AS opportunities
  WHERE
    NOT (
      opportunities.closed_at IS NULL
    )
  GROUP BY
    CAST(dateTrunc('MONTH', opportunities.closed_at) AS Nullable(DATE)),
    COALESCE(opportunities.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_opportunities_closed_at
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
    CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.lead_source AS lead_source
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      lead_source
    FROM agg_opportunities_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  CAST((
    COALESCE(agg_opportunities_closed_at.deals_won__num, 0)
  ) AS Nullable(Float64)) / nullIf((
    COALESCE(agg_opportunities_closed_at.deals_lost__num, 0)
  ), 0) AS win_loss_ratio
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
