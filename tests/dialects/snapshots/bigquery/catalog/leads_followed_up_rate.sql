WITH agg_leads_created_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(leads.created_at, MONTH) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    COUNT(CASE WHEN NOT leads.first_response_at IS NULL THEN 1 END) AS leads_followed_up_rate__num,
    COUNT(*) AS leads_followed_up_rate__den
  FROM leads AS leads
  WHERE
    NOT leads.created_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(leads.created_at, MONTH) AS DATE),
    COALESCE(leads.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_leads_created_at
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
    FROM agg_leads_created_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  CAST(COALESCE(agg_leads_created_at.leads_followed_up_rate__num, 0) AS FLOAT64) / NULLIF(COALESCE(agg_leads_created_at.leads_followed_up_rate__den, 0), 0) AS leads_followed_up_rate
FROM grid
LEFT JOIN agg_leads_created_at
  ON agg_leads_created_at.period = grid.period
  AND agg_leads_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
