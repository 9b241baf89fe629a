WITH agg_won_deals_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', won_deals.closed_at) AS DATE) AS period,
    COUNT(*) AS new_logos__num,
    COUNT(*) AS customers_at_start__opens
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
        ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY closed_at NULLS LAST, opportunity_id NULLS LAST) AS win_number
      FROM opportunities AS opportunities
      WHERE
        stage = 'won'
    ) AS won_deals
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
