WITH agg_lead_handoffs_accepted_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', lead_handoffs.accepted_at) AS DATE) AS period,
    reps.region AS region,
    COUNT(*) AS sales_accepted_leads__num
  FROM lead_handoffs AS lead_handoffs
  LEFT JOIN reps AS reps
    ON lead_handoffs.sdr_rep_id = reps.rep_id
  WHERE
    NOT lead_handoffs.accepted_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', lead_handoffs.accepted_at) AS DATE),
    reps.region
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_lead_handoffs_accepted_at
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
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM agg_lead_handoffs_accepted_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  COALESCE(agg_lead_handoffs_accepted_at.sales_accepted_leads__num, 0) AS sales_accepted_leads
FROM grid
LEFT JOIN agg_lead_handoffs_accepted_at
  ON agg_lead_handoffs_accepted_at.period = grid.period
  AND agg_lead_handoffs_accepted_at.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
