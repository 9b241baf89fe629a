WITH agg_lead_journeys_sql_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', lead_journeys.sql_at) AS DATE) AS period,
    COALESCE(lead_journeys.lead_source, 'unknown') AS lead_source,
    COUNT(CASE WHEN NOT lead_journeys.won_at IS NULL THEN 1 END) AS sql_to_customer_rate__num,
    COUNT(*) AS sql_to_customer_rate__den
  FROM (
    SELECT
      l.lead_id AS lead_id,
      l.created_at AS created_at,
      l.lead_source AS lead_source,
      l.owner_rep_id AS owner_rep_id,
      l.mql_at,
      l.sql_at,
      h.passed_at,
      h.accepted_at,
      s.stage1_at,
      s.stage2_at,
      CASE WHEN o.stage = 'won' THEN o.closed_at END AS won_at
    FROM leads AS l
    LEFT JOIN lead_handoffs AS h
      ON h.lead_id = l.lead_id
    LEFT JOIN opportunities AS o
      ON o.lead_id = l.lead_id
    LEFT JOIN opportunity_stages AS s
      ON s.opportunity_id = o.opportunity_id
  ) AS lead_journeys
  WHERE
    NOT lead_journeys.sql_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', lead_journeys.sql_at) AS DATE),
    COALESCE(lead_journeys.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_lead_journeys_sql_at
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
    FROM agg_lead_journeys_sql_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  CAST(COALESCE(agg_lead_journeys_sql_at.sql_to_customer_rate__num, 0) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_lead_journeys_sql_at.sql_to_customer_rate__den, 0), 0) AS sql_to_customer_rate
FROM grid
LEFT JOIN agg_lead_journeys_sql_at
  ON agg_lead_journeys_sql_at.period = grid.period
  AND (
    COALESCE(CAST(agg_lead_journeys_sql_at.lead_source AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.lead_source AS VARCHAR(MAX)), '')
    AND (
      agg_lead_journeys_sql_at.lead_source IS NULL
    ) = (
      grid.lead_source IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.lead_source
