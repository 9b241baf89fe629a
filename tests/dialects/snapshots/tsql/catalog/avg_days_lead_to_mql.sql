WITH agg_leads_created_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, leads.created_at) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    AVG(
      CAST(DATEDIFF(DAY, CAST(leads.created_at AS DATE), CAST(leads.mql_at AS DATE)) AS FLOAT)
    ) AS avg_days_lead_to_mql__num
  FROM leads AS leads
  WHERE
    NOT leads.created_at IS NULL
    AND leads.created_at >= CAST('2024-01-01' AS DATE)
    AND leads.created_at < CAST('2026-01-01' AS DATE)
    AND NOT leads.mql_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, leads.created_at) AS DATE),
    COALESCE(leads.lead_source, 'unknown')
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
    FROM agg_leads_created_at
  ) AS dims
)
SELECT
  grid.period,
  grid.lead_source AS lead_source,
  agg_leads_created_at.avg_days_lead_to_mql__num AS avg_days_lead_to_mql
FROM grid
LEFT JOIN agg_leads_created_at
  ON agg_leads_created_at.period = grid.period
  AND agg_leads_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
