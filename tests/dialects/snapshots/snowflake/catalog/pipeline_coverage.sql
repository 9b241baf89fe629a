WITH agg_opportunities_created_at AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', opportunities.created_at) AS DATE) AS period,
    SUM(opportunities.amount) AS open_pipeline_at_start__opens
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', opportunities.created_at) AS DATE)
), agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', opportunities.closed_at) AS DATE) AS period,
    SUM(opportunities.amount) AS open_pipeline_at_start__closes
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', opportunities.closed_at) AS DATE)
), agg_quotas_quarter_start AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', quotas.quarter_start) AS DATE) AS period,
    SUM(quotas.quota) AS quota__num
  FROM quotas AS quotas
  WHERE
    NOT quotas.quarter_start IS NULL
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', quotas.quarter_start) AS DATE)
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_opportunities_created_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_opportunities_closed_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_quotas_quarter_start
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
    CAST(DATEADD(MONTH, (
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN bounds
  WHERE
    (
      (
        d0.d + d1.d * 10 + d2.d * 100
      ) * 3
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, (
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3, bounds.lo) AS DATE) <= bounds.hi
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(
      SUM(
        COALESCE(agg_opportunities_created_at.open_pipeline_at_start__opens, 0) - COALESCE(agg_opportunities_closed_at.open_pipeline_at_start__closes, 0)
      ) OVER (ORDER BY spine.period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
      0
    )
  ) AS DOUBLE) / NULLIF((
    COALESCE(agg_quotas_quarter_start.quota__num, 0)
  ), 0) AS pipeline_coverage
FROM spine
LEFT JOIN agg_opportunities_created_at
  ON agg_opportunities_created_at.period = spine.period
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
LEFT JOIN agg_quotas_quarter_start
  ON agg_quotas_quarter_start.period = spine.period
ORDER BY
  spine.period
