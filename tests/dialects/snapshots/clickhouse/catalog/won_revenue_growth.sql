WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(dateTrunc('MONTH', opportunities.closed_at) AS Nullable(DATE)) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT (
      opportunities.closed_at IS NULL
    ) AND opportunities.stage = 'won'
  GROUP BY
    CAST(dateTrunc('MONTH', opportunities.closed_at) AS Nullable(DATE))
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
      CAST(dateTrunc('MONTH', MIN(opportunities.closed_at)) AS Nullable(DATE)) AS lo,
      CAST(dateTrunc('MONTH', MAX(opportunities.closed_at)) AS Nullable(DATE)) AS hi
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
)
SELECT
  spine.period AS period,
  CAST((
    (
      COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
    ) - LAG(toNullable(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)), 1) OVER (ORDER BY spine.period)
  ) AS Nullable(Float64)) / nullIf(
    LAG(toNullable(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)), 1) OVER (ORDER BY spine.period),
    0
  ) AS won_revenue_growth
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
ORDER BY
  spine.period
