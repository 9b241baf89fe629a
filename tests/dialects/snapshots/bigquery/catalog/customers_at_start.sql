WITH agg_won_deals_closed_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(won_deals.closed_at, MONTH) AS DATE) AS period,
    accounts.segment AS segment,
    COUNT(*) AS customers_at_start__opens
  FROM (
    SELECT
      *,
      ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at NULLS LAST, opportunity_id NULLS LAST) AS win_number
    FROM opportunities AS opportunities
    WHERE
      stage = 'won'
  ) AS won_deals
  LEFT JOIN accounts AS accounts
    ON won_deals.account_id = accounts.account_id
  WHERE
    NOT won_deals.closed_at IS NULL AND won_deals.win_number = 1
  GROUP BY
    CAST(TIMESTAMP_TRUNC(won_deals.closed_at, MONTH) AS DATE),
    accounts.segment
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
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_won_deals_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.segment AS segment,
  COALESCE(
    SUM(COALESCE(agg_won_deals_closed_at.customers_at_start__opens, 0)) OVER (
      PARTITION BY grid.segment
      ORDER BY grid.period
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ),
    0
  ) AS customers_at_start
FROM grid
LEFT JOIN agg_won_deals_closed_at
  ON agg_won_deals_closed_at.period = grid.period
  AND agg_won_deals_closed_at.segment IS NOT DISTINCT FROM grid.segment
ORDER BY
  grid.period,
  grid.segment
