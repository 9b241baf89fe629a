WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE)
), agg_rep_compensation_month_start AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', rep_compensation.month_start) AS DATE) AS period,
    SUM(rep_compensation.ote) AS ae_ote__num
  FROM rep_compensation AS rep_compensation
  WHERE
    NOT rep_compensation.month_start IS NULL AND rep_compensation.role = 'AE'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', rep_compensation.month_start) AS DATE)
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
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_rep_compensation_month_start
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(opportunities.closed_at)) AS DATE) AS hi
    FROM opportunities AS opportunities
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(rep_compensation.month_start)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(rep_compensation.month_start)) AS DATE) AS hi
    FROM rep_compensation AS rep_compensation
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
    COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
  ) AS DOUBLE) / NULLIF((
    COALESCE(agg_rep_compensation_month_start.ae_ote__num, 0)
  ), 0) AS revenue_to_ote
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
LEFT JOIN agg_rep_compensation_month_start
  ON agg_rep_compensation_month_start.period = spine.period
ORDER BY
  spine.period
