WITH agg_leads_created_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE) AS period,
    reps.region AS region,
    AVG(
      EXTRACT(epoch_second FROM leads.first_response_at) - EXTRACT(epoch_second FROM leads.created_at)
    ) / 3600 AS inbound_response_hours__num
  FROM leads AS leads
  LEFT JOIN reps AS reps
    ON leads.owner_rep_id = reps.rep_id
  WHERE
    NOT leads.created_at IS NULL
    AND NOT leads.first_response_at IS NULL
    AND leads.lead_source = 'inbound'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', leads.created_at) AS DATE),
    reps.region
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM (
    SELECT
      period
    FROM agg_leads_created_at
  ) AS scans
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      DATEADD(MONTH, CAST(period AS INT), CAST((
        SELECT
          periods.lo
        FROM bounds
      ) AS DATE)) AS period
    FROM TABLE(FLATTEN(INPUT => ARRAY_GENERATE_RANGE(
      0,
      DATEDIFF(
        MONTH,
        (
          SELECT
            periods.lo
          FROM bounds
        ),
        (
          SELECT
            periods.hi
          FROM bounds
        )
      ) + 1
    ))) AS periods(seq, key, path, index, period, this)
  ) AS periods(period)
), grid AS (
  SELECT
    spine.period,
    dims.region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
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
