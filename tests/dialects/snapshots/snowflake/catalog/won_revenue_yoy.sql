WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE)
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM (
    SELECT
      period
    FROM agg_opportunities_closed_at
  ) AS scans
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      DATEADD(MONTH, CAST(period AS INT), CAST((
        SELECT
          periods.lo
        FROM bounds
      ) AS DATE)) AS period
    FROM TABLE(FLATTEN(INPUT => ARRAY_GENERATE_RANGE(
      0,
      DATEDIFF(
        MONTH,
        (
          SELECT
            periods.lo
          FROM bounds
        ),
        (
          SELECT
            periods.hi
          FROM bounds
        )
      ) + 1
    ))) AS periods(seq, key, path, index, period, this)
  ) AS periods(period)
)
SELECT
  spine.period,
  CAST((
    (
      COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
    ) - LAG(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0), 12) OVER (ORDER BY spine.period)
  ) AS DOUBLE) / NULLIF(
    LAG(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0), 12) OVER (ORDER BY spine.period),
    0
  ) AS won_revenue_yoy
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
ORDER BY
  spine.period
