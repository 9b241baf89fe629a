WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    COUNT_BIG(*) AS deals_lost__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'lost'
  GROUP BY
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_opportunities_closed_at
    UNION ALL
    SELECT
      CAST(DATETRUNC(MONTH, MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATETRUNC(MONTH, MAX(opportunities.closed_at)) AS DATE) AS hi
    FROM opportunities AS opportunities
  ) AS scans
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
    FROM agg_opportunities_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  COALESCE(agg_opportunities_closed_at.deals_lost__num, 0) AS deals_lost
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
