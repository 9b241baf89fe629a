WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    COUNT(*) AS deals_lost__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'lost'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_opportunities_closed_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(opportunities.closed_at)) AS DATE) AS hi
    FROM opportunities AS opportunities
  ) AS scans
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
  COALESCE(agg_opportunities_closed_at.deals_lost__num, 0) AS deals_lost
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
