WITH agg_opportunities_created_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.created_at) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    COUNT(*) AS open_opportunities__opens
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.created_at) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
), agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    COUNT(*) AS open_opportunities__closes
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
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
    FROM agg_opportunities_created_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_opportunities_closed_at
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
    SELECT
      lead_source
    FROM agg_opportunities_created_at
    UNION
    SELECT
      lead_source
    FROM agg_opportunities_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  SUM(
    COALESCE(agg_opportunities_created_at.open_opportunities__opens, 0) - COALESCE(agg_opportunities_closed_at.open_opportunities__closes, 0)
  ) OVER (
    PARTITION BY grid.lead_source
    ORDER BY grid.period
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS open_opportunities
FROM grid
LEFT JOIN agg_opportunities_created_at
  ON agg_opportunities_created_at.period = grid.period
  AND agg_opportunities_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
