WITH agg_staged_opportunities_stage1_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', staged_opportunities.stage1_at) AS DATE) AS period,
    COALESCE(staged_opportunities.lead_source, 'unknown') AS lead_source,
    COUNT(CASE WHEN NOT staged_opportunities.stage2_at IS NULL THEN 1 END) AS stage1_to_stage2_rate__num,
    COUNT(*) AS stage1_to_stage2_rate__den
  FROM (
    SELECT
      o.opportunity_id AS opportunity_id,
      o.account_id,
      o.owner_rep_id,
      o.created_at,
      o.closed_at,
      o.stage,
      o.lead_source,
      o.product,
      o.deal_type,
      s.stage1_at,
      s.stage2_at,
      CASE WHEN o.stage = 'won' THEN o.closed_at END AS won_at
    FROM opportunities AS o
    LEFT JOIN opportunity_stages AS s
      ON s.opportunity_id = o.opportunity_id
  ) AS staged_opportunities
  WHERE
    NOT staged_opportunities.stage1_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', staged_opportunities.stage1_at) AS DATE),
    COALESCE(staged_opportunities.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_staged_opportunities_stage1_at
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
    FROM agg_staged_opportunities_stage1_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  CAST(COALESCE(agg_staged_opportunities_stage1_at.stage1_to_stage2_rate__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_staged_opportunities_stage1_at.stage1_to_stage2_rate__den, 0), 0) AS stage1_to_stage2_rate
FROM grid
LEFT JOIN agg_staged_opportunities_stage1_at
  ON agg_staged_opportunities_stage1_at.period = grid.period
  AND agg_staged_opportunities_stage1_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
