WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    SUM(opportunities.amount) AS won_revenue_rolling_60d__opens
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
), agg_opportunities_closed_at_plus_60d AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', DATEADD(DAY, 60, opportunities.closed_at)) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    SUM(opportunities.amount) AS won_revenue_rolling_60d__closes
  FROM opportunities AS opportunities
  WHERE
    NOT DATEADD(DAY, 60, opportunities.closed_at) IS NULL
    AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', DATEADD(DAY, 60, opportunities.closed_at)) AS DATE),
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
      CAST(DATE_TRUNC('MONTH', MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(opportunities.closed_at)) AS DATE) AS hi
    FROM opportunities AS opportunities
  ) AS scans
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
    SELECT
      lead_source
    FROM agg_opportunities_closed_at
    UNION
    SELECT
      lead_source
    FROM agg_opportunities_closed_at_plus_60d
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  SUM(
    COALESCE(agg_opportunities_closed_at.won_revenue_rolling_60d__opens, 0) - COALESCE(agg_opportunities_closed_at_plus_60d.won_revenue_rolling_60d__closes, 0)
  ) OVER (
    PARTITION BY grid.lead_source
    ORDER BY grid.period
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS won_revenue_rolling_60d
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
LEFT JOIN agg_opportunities_closed_at_plus_60d
  ON agg_opportunities_closed_at_plus_60d.period = grid.period
  AND agg_opportunities_closed_at_plus_60d.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
