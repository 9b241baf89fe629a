WITH agg_leads_created_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, leads.created_at) AS DATE) AS period,
    reps.region AS region,
    CAST(AVG(
      CAST(TIME_TO_UNIX(leads.first_response_at) - TIME_TO_UNIX(leads.created_at) AS FLOAT)
    ) AS FLOAT) / 3600 AS inbound_response_hours__num
  FROM leads AS leads
  LEFT JOIN reps AS reps
    ON leads.owner_rep_id = reps.rep_id
  WHERE
    NOT leads.created_at IS NULL
    AND leads.created_at >= CAST('2024-01-01' AS DATE)
    AND leads.created_at < CAST('2026-01-01' AS DATE)
    AND NOT leads.first_response_at IS NULL
    AND leads.lead_source = 'inbound'
  GROUP BY
    CAST(DATETRUNC(MONTH, leads.created_at) AS DATE),
    reps.region
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
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region AS region
    FROM agg_leads_created_at
  ) AS dims
)
SELECT
  grid.period,
  grid.region AS region,
  agg_leads_created_at.inbound_response_hours__num AS inbound_response_hours
FROM grid
LEFT JOIN agg_leads_created_at
  ON agg_leads_created_at.period = grid.period
  AND agg_leads_created_at.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
