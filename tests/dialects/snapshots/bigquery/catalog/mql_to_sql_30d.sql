WITH agg_leads_mql_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(leads.mql_at, MONTH) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    COUNT(
      CASE
        WHEN NOT leads.sql_at IS NULL
        AND leads.sql_at >= leads.mql_at
        AND leads.sql_at <= DATE_ADD(leads.mql_at, INTERVAL 30 DAY)
        THEN 1
      END
    ) AS mql_to_sql_30d__num,
    COUNT(*) AS mql_to_sql_30d__den
  FROM leads AS leads
  WHERE
    NOT leads.mql_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(leads.mql_at, MONTH) AS DATE),
    COALESCE(leads.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_leads_mql_at
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
    FROM agg_leads_mql_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  CAST(COALESCE(agg_leads_mql_at.mql_to_sql_30d__num, 0) AS FLOAT64) / NULLIF(COALESCE(agg_leads_mql_at.mql_to_sql_30d__den, 0), 0) AS mql_to_sql_30d
FROM grid
LEFT JOIN agg_leads_mql_at
  ON agg_leads_mql_at.period = grid.period
  AND agg_leads_mql_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
