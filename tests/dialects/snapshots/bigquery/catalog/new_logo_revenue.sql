WITH agg_won_deals_closed_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(won_deals.closed_at, MONTH) AS DATE) AS period,
    COALESCE(won_deals.lead_source, 'unknown') AS lead_source,
    SUM(won_deals.amount) AS new_logo_revenue__num
  FROM (
    SELECT
      *,
      ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at NULLS LAST, opportunity_id NULLS LAST) AS win_number
    FROM opportunities AS opportunities
    WHERE
      stage = 'won'
  ) AS won_deals
  WHERE
    NOT won_deals.closed_at IS NULL AND won_deals.win_number = 1
  GROUP BY
    CAST(TIMESTAMP_TRUNC(won_deals.closed_at, MONTH) AS DATE),
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
      CAST(TIMESTAMP_TRUNC(MIN(won_deals.closed_at), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(won_deals.closed_at), MONTH) AS DATE) AS hi
    FROM (
      SELECT
        *,
        ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at NULLS LAST, opportunity_id NULLS LAST) AS win_number
      FROM opportunities AS opportunities
      WHERE
        stage = 'won'
    ) AS won_deals
  ) AS scans
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
