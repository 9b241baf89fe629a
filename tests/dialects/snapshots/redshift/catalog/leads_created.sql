WITH agg_leads_created_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    COUNT(*) AS leads_created__num
  FROM leads AS leads
  WHERE
    NOT leads.created_at IS NULL
    AND leads.created_at >= CAST('2024-01-01' AS DATE)
    AND leads.created_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE),
    COALESCE(leads.lead_source, 'unknown')
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST('2024-01-01' AS DATE) AS period
    UNION ALL
    SELECT
      CAST('2024-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-12-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-01-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-12-01' AS DATE)
  ) AS periods
), grid AS (
  SELECT
    spine.period,
    dims.lead_source
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      lead_source
    FROM agg_leads_created_at
  ) AS dims
)
SELECT
  grid.period,
  grid.lead_source AS lead_source,
  COALESCE(agg_leads_created_at.leads_created__num, 0) AS leads_created
FROM grid
LEFT JOIN agg_leads_created_at
  ON agg_leads_created_at.period = grid.period
  AND agg_leads_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
