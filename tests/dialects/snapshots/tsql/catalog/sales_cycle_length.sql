WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    AVG(
      CAST(DATEDIFF(DAY, CAST(opportunities.created_at AS DATE), CAST(opportunities.closed_at AS DATE)) AS FLOAT)
    ) AS sales_cycle_length__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
    AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
    AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-02-01' AS DATE)),
    (CAST('2024-03-01' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-05-01' AS DATE)),
    (CAST('2024-06-01' AS DATE)),
    (CAST('2024-07-01' AS DATE)),
    (CAST('2024-08-01' AS DATE)),
    (CAST('2024-09-01' AS DATE)),
    (CAST('2024-10-01' AS DATE)),
    (CAST('2024-11-01' AS DATE)),
    (CAST('2024-12-01' AS DATE)),
    (CAST('2025-01-01' AS DATE)),
    (CAST('2025-02-01' AS DATE)),
    (CAST('2025-03-01' AS DATE)),
    (CAST('2025-04-01' AS DATE)),
    (CAST('2025-05-01' AS DATE)),
    (CAST('2025-06-01' AS DATE)),
    (CAST('2025-07-01' AS DATE)),
    (CAST('2025-08-01' AS DATE)),
    (CAST('2025-09-01' AS DATE)),
    (CAST('2025-10-01' AS DATE)),
    (CAST('2025-11-01' AS DATE)),
    (CAST('2025-12-01' AS DATE))) AS periods(period)
), grid AS (
  SELECT
    spine.period AS period,
    dims.lead_source AS lead_source
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      lead_source AS lead_source
    FROM agg_opportunities_closed_at
  ) AS dims
)
SELECT
  grid.period,
  grid.lead_source AS lead_source,
  agg_opportunities_closed_at.sales_cycle_length__num AS sales_cycle_length
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
