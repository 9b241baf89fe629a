WITH agg_accounts_none AS (
  SELECT
    accounts.segment AS segment,
    COUNT(*) AS crm_accounts__num
  FROM accounts AS accounts
  GROUP BY
    accounts.segment
), spine AS (
  SELECT
    CAST('1900-01-01' AS Nullable(DATE)) AS period
), grid AS (
  SELECT
    spine.period AS period,
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_accounts_none
  ) AS dims
)
SELECT
  CAST(NULL AS Nullable(DATE)) AS period,
  grid.segment AS segment,
  COALESCE(agg_accounts_none.crm_accounts__num, 0) AS crm_accounts
FROM grid
LEFT JOIN agg_accounts_none
  ON agg_accounts_none.segment IS NOT DISTINCT FROM grid.segment
ORDER BY
  grid.period,
  grid.segment
