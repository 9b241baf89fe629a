WITH agg_won_deals_closed_at AS (
  SELECT
    CAST(dateTrunc('MONTH', won_deals.closed_at) AS Nullable(DATE)) AS period,
    COALESCE(won_deals.lead_source, 'unknown') AS lead_source,
    SUM(won_deals.amount) AS new_logo_revenue__num
  FROM (
    SELECT
      *,
      ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at, opportunity_id) AS win_number
    FROM opportunities AS opportunities
    WHERE
      stage = 'won'
  ) AS won_deals
  WHERE
    NOT (
      won_deals.closed_at IS NULL
    ) AND won_deals.win_number = 1
  GROUP BY
    CAST(dateTrunc('MONTH', won_deals.closed_at) AS Nullable(DATE)),
    COALESCE(won_deals.lead_source, 'unknown')
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_won_deals_closed_at
    UNION ALL
    SELECT
      CAST(dateTrunc('MONTH', MIN(won_deals.closed_at)) AS Nullable(DATE)) AS lo,
      CAST(dateTrunc('MONTH', MAX(won_deals.closed_at)) AS Nullable(DATE)) AS hi
    FROM (
      SELECT
        *,
        ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at, opportunity_id) AS win_number
      FROM opportunities AS opportunities
      WHERE
        stage = 'won'
    ) AS won_deals
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
    CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.lead_source AS lead_source
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      lead_source
    FROM agg_won_deals_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.lead_source AS lead_source,
  COALESCE(agg_won_deals_closed_at.new_logo_revenue__num, 0) AS new_logo_revenue
FROM grid
LEFT JOIN agg_won_deals_closed_at
  ON agg_won_deals_closed_at.period = grid.period
  AND agg_won_deals_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
