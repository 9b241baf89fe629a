WITH agg_won_deals_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', won_deals.closed_at) AS DATE) AS period,
    COUNT(*) AS new_logos__num,
    COUNT(*) AS customers_at_start__opens
  FROM (
    SELECT
      *,
      ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at, opportunity_id) AS win_number
    FROM opportunities AS opportunities
    WHERE
      stage = 'won'
  ) AS won_deals
  WHERE
    NOT won_deals.closed_at IS NULL AND won_deals.win_number = 1
  GROUP BY
    CAST(DATE_TRUNC('MONTH', won_deals.closed_at) AS DATE)
), agg_accounts_none AS (
  SELECT
    COUNT(*) AS crm_accounts__num
  FROM accounts AS accounts
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
      CAST(DATE_TRUNC('MONTH', MIN(won_deals.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(won_deals.closed_at)) AS DATE) AS hi
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
    CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF('DAY', bounds.lo, bounds.hi)
    AND CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) <= bounds.hi
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_won_deals_closed_at.new_logos__num, 0)
  ) AS DOUBLE) / NULLIF(
    (
      (
        COALESCE(agg_accounts_none.crm_accounts__num, 0)
      ) - (
        COALESCE(
          SUM(COALESCE(agg_won_deals_closed_at.customers_at_start__opens, 0)) OVER (ORDER BY spine.period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
          0
        )
      )
    ),
    0
  ) AS customer_acquisition_rate
FROM spine
LEFT JOIN agg_won_deals_closed_at
  ON agg_won_deals_closed_at.period = spine.period
CROSS JOIN agg_accounts_none
ORDER BY
  spine.period
