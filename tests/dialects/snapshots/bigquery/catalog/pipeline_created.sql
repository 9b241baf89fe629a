WITH agg_opportunities_created_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(opportunities.created_at, MONTH) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    SUM(opportunities.amount) AS pipeline_created__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(opportunities.created_at, MONTH) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_opportunities_created_at
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
    FROM agg_opportunities_created_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  COALESCE(agg_opportunities_created_at.pipeline_created__num, 0) AS pipeline_created
FROM grid
LEFT JOIN agg_opportunities_created_at
  ON agg_opportunities_created_at.period = grid.period
  AND agg_opportunities_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
