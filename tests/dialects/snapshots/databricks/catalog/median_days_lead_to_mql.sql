WITH agg_leads_created_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    MEDIAN(DATEDIFF(DAY, CAST(leads.created_at AS DATE), CAST(leads.mql_at AS DATE))) AS median_days_lead_to_mql__num
  FROM leads AS leads
  WHERE
    NOT leads.created_at IS NULL AND NOT leads.mql_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE),
    COALESCE(leads.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_leads_created_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(leads.created_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(leads.created_at)) AS DATE) AS hi
    FROM leads AS leads
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
    FROM agg_leads_created_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  agg_leads_created_at.median_days_lead_to_mql__num AS median_days_lead_to_mql
FROM grid
LEFT JOIN agg_leads_created_at
  ON agg_leads_created_at.period = grid.period
  AND agg_leads_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
