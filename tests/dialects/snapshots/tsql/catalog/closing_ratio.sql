WITH agg_staged_opportunities_created_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, staged_opportunities.created_at) AS DATE) AS period,
    COALESCE(staged_opportunities.lead_source, 'unknown') AS lead_source,
    COUNT_BIG(CASE WHEN NOT staged_opportunities.won_at IS NULL THEN 1 END) AS closing_ratio__num,
    COUNT_BIG(*) AS closing_ratio__den
  FROM (
    SELECT
      o.opportunity_id AS opportunity_id,
      o.account_id AS account_id,
      o.owner_rep_id AS owner_rep_id,
      o.created_at AS created_at,
      o.closed_at AS closed_at,
      o.stage AS stage,
      o.lead_source AS lead_source,
      o.product AS product,
      o.deal_type AS deal_type,
      s.stage1_at AS stage1_at,
      s.stage2_at AS stage2_at,
      CASE WHEN o.stage = 'won' THEN o.closed_at END AS won_at
    FROM opportunities AS o
    LEFT JOIN opportunity_stages AS s
      ON s.opportunity_id = o.opportunity_id
  ) AS staged_opportunities
  WHERE
    NOT staged_opportunities.created_at IS NULL
  GROUP BY
    CAST(DATETRUNC(MONTH, staged_opportunities.created_at) AS DATE),
    COALESCE(staged_opportunities.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_staged_opportunities_created_at
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
      lead_source AS lead_source
    FROM agg_staged_opportunities_created_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  CAST(COALESCE(agg_staged_opportunities_created_at.closing_ratio__num, 0) AS FLOAT) / NULLIF(COALESCE(agg_staged_opportunities_created_at.closing_ratio__den, 0), 0) AS closing_ratio
FROM grid
LEFT JOIN agg_staged_opportunities_created_at
  ON agg_staged_opportunities_created_at.period = grid.period
  AND agg_staged_opportunities_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
