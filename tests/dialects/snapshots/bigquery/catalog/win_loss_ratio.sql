WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(opportunities.closed_at, MONTH) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    COUNT(CASE WHEN opportunities.stage = 'won' THEN 1 END) AS deals_won__num,
    COUNT(CASE WHEN opportunities.stage = 'lost' THEN 1 END) AS deals_lost__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(opportunities.closed_at, MONTH) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_opportunities_closed_at
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
  ) AS FLOAT64) / NULLIF((
    COALESCE(agg_opportunities_closed_at.deals_lost__num, 0)
  ), 0) AS win_loss_ratio
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
