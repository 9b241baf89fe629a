WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    AVG(
      CAST(CASE
        WHEN opportunities.stage = 'won'
        THEN DATEDIFF(DAY, CAST(opportunities.created_at AS DATE), CAST(opportunities.closed_at AS DATE))
      END AS DOUBLE)
    ) AS sales_cycle_length__num,
    SUM(CASE WHEN opportunities.stage = 'won' THEN opportunities.amount END) AS won_revenue__num,
    COUNT(CASE WHEN opportunities.stage = 'won' THEN 1 END) AS deals_won__num,
    COUNT(
      CASE
        WHEN opportunities.stage IN ('won', 'lost') AND opportunities.stage = 'won'
        THEN 1
      END
    ) AS win_rate__num,
    COUNT(CASE WHEN opportunities.stage IN ('won', 'lost') THEN 1 END) AS win_rate__den
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE)
), agg_opportunities_created_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.created_at) AS DATE) AS period,
    COUNT(*) AS opportunities_created__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.created_at) AS DATE)
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
    FROM agg_opportunities_created_at
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
    COALESCE(agg_opportunities_created_at.opportunities_created__num, 0)
  ) * (
    CASE
      WHEN COALESCE(agg_opportunities_closed_at.win_rate__den, 0) >= 5
      THEN CAST(COALESCE(agg_opportunities_closed_at.win_rate__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_opportunities_closed_at.win_rate__den, 0), 0)
    END
  ) * (
    CAST((
      COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
    ) AS DOUBLE) / NULLIF((
      COALESCE(agg_opportunities_closed_at.deals_won__num, 0)
    ), 0)
  ) AS DOUBLE) / NULLIF((
    agg_opportunities_closed_at.sales_cycle_length__num
  ), 0) AS pipeline_velocity
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
LEFT JOIN agg_opportunities_created_at
  ON agg_opportunities_created_at.period = spine.period
ORDER BY
  spine.period
