WITH agg_leads_mql_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', leads.mql_at) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    MEDIAN(DATEDIFF(DAY, CAST(leads.mql_at AS DATE), CAST(leads.sql_at AS DATE))) AS median_days_mql_to_sql__num
  FROM leads AS leads
  WHERE
    NOT leads.mql_at IS NULL
    AND leads.mql_at >= CAST('2024-01-01' AS DATE)
    AND leads.mql_at < CAST('2026-01-01' AS DATE)
    AND NOT leads.sql_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', leads.mql_at) AS DATE),
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
    FROM agg_leads_mql_at
  ) AS dims
)
SELECT
  grid.period,
  grid.lead_source AS lead_source,
  agg_leads_mql_at.median_days_mql_to_sql__num AS median_days_mql_to_sql
FROM grid
LEFT JOIN agg_leads_mql_at
  ON agg_leads_mql_at.period = grid.period
  AND agg_leads_mql_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
