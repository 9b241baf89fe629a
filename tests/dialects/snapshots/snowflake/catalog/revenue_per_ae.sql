WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE)
), agg_headcount_snapshot_date_last AS (
  SELECT
    period,
    ae_headcount__num
  FROM (
    SELECT
      *,
      MAX(snapshot_day) OVER (PARTITION BY period) AS last_day
    FROM (
      SELECT
        CAST(DATE_TRUNC('MONTH', headcount.snapshot_date) AS DATE) AS period,
        CAST(headcount.snapshot_date AS DATE) AS snapshot_day,
        COUNT(*) AS ae_headcount__num
      FROM headcount AS headcount
      WHERE
        NOT headcount.snapshot_date IS NULL AND headcount.role = 'AE'
      GROUP BY
        CAST(DATE_TRUNC('MONTH', headcount.snapshot_date) AS DATE),
        CAST(headcount.snapshot_date AS DATE)
    ) AS per_day
  ) AS ranked
  WHERE
    snapshot_day = last_day
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
    FROM agg_headcount_snapshot_date_last
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(opportunities.closed_at)) AS DATE) AS hi
    FROM opportunities AS opportunities
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(headcount.snapshot_date)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(headcount.snapshot_date)) AS DATE) AS hi
    FROM headcount AS headcount
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
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
  ) AS DOUBLE) / NULLIF((
    COALESCE(agg_headcount_snapshot_date_last.ae_headcount__num, 0)
  ), 0) AS revenue_per_ae
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
LEFT JOIN agg_headcount_snapshot_date_last
  ON agg_headcount_snapshot_date_last.period = spine.period
ORDER BY
  spine.period
