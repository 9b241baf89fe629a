WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(opportunities.closed_at, MONTH) AS DATE) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(opportunities.closed_at, MONTH) AS DATE)
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
      CAST(TIMESTAMP_TRUNC(MIN(opportunities.closed_at), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(opportunities.closed_at), MONTH) AS DATE) AS hi
    FROM opportunities AS opportunities
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
)
SELECT
  spine.period AS period,
  SUM(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)) OVER (
    PARTITION BY CAST(TIMESTAMP_TRUNC(spine.period, YEAR) AS DATE)
    ORDER BY spine.period
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS won_revenue_ytd
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
ORDER BY
  spine.period
