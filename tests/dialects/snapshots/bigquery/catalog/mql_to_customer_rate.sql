WITH agg_lead_journeys_mql_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(lead_journeys.mql_at, MONTH) AS DATE) AS period,
    COALESCE(lead_journeys.lead_source, 'unknown') AS lead_source,
    COUNT(CASE WHEN NOT lead_journeys.won_at IS NULL THEN 1 END) AS mql_to_customer_rate__num,
    COUNT(*) AS mql_to_customer_rate__den
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
    NOT lead_journeys.mql_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(lead_journeys.mql_at, MONTH) AS DATE),
    COALESCE(lead_journeys.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_lead_journeys_mql_at
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
    FROM agg_lead_journeys_mql_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  CAST(COALESCE(agg_lead_journeys_mql_at.mql_to_customer_rate__num, 0) AS FLOAT64) / NULLIF(COALESCE(agg_lead_journeys_mql_at.mql_to_customer_rate__den, 0), 0) AS mql_to_customer_rate
FROM grid
LEFT JOIN agg_lead_journeys_mql_at
  ON agg_lead_journeys_mql_at.period = grid.period
  AND agg_lead_journeys_mql_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
