WITH agg_leads_mql_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', leads.mql_at) AS DATE) AS period,
    COALESCE(leads.lead_source, 'unknown') AS lead_source,
    COUNT(
      CASE
        WHEN NOT leads.sql_at IS NULL
        AND leads.sql_at >= leads.mql_at
        AND leads.sql_at <= DATEADD(DAY, 30, leads.mql_at)
        THEN 1
      END
    ) AS mql_to_sql_30d__num,
    COUNT(*) AS mql_to_sql_30d__den
  FROM leads AS leads
  WHERE
    NOT leads.mql_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', leads.mql_at) AS DATE),
    COALESCE(leads.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_leads_mql_at
), digits AS (
  SELECT
    0 AS d
  UNION ALL
  SELECT
    1 AS d
  UNION ALL
  SELECT
    2 AS d
  UNION ALL
  SELECT
    3 AS d
  UNION ALL
  SELECT
    4 AS d
  UNION ALL
  SELECT
    5 AS d
  UNION ALL
  SELECT
    6 AS d
  UNION ALL
  SELECT
    7 AS d
  UNION ALL
  SELECT
    8 AS d
  UNION ALL
  SELECT
    9 AS d
), spine AS (
  SELECT
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
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
  CAST(COALESCE(agg_leads_mql_at.mql_to_sql_30d__num, 0) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_leads_mql_at.mql_to_sql_30d__den, 0), 0) AS mql_to_sql_30d
FROM grid
LEFT JOIN agg_leads_mql_at
  ON agg_leads_mql_at.period = grid.period
  AND (
    COALESCE(CAST(agg_leads_mql_at.lead_source AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.lead_source AS VARCHAR(MAX)), '')
    AND (
      agg_leads_mql_at.lead_source IS NULL
    ) = (
      grid.lead_source IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.lead_source
