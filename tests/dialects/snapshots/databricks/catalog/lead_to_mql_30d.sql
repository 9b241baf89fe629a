WITH agg_leads_created_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    COUNT(
      CASE
        WHEN NOT leads.mql_at IS NULL
        AND leads.mql_at >= leads.created_at
        AND leads.mql_at <= DATEADD(DAY, 30, leads.created_at)
        THEN 1
      END
    ) AS lead_to_mql_30d__num,
    COUNT(*) AS lead_to_mql_30d__den
  FROM leads AS leads
  WHERE
    NOT leads.created_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE),
    COALESCE(leads.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_leads_created_at
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
  CAST(COALESCE(agg_leads_created_at.lead_to_mql_30d__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_leads_created_at.lead_to_mql_30d__den, 0), 0) AS lead_to_mql_30d
FROM grid
LEFT JOIN agg_leads_created_at
  ON agg_leads_created_at.period = grid.period
  AND agg_leads_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
