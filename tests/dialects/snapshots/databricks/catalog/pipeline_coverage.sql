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
      INTERVAL '3' MONTH
    )
  ) AS periods(period)
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
