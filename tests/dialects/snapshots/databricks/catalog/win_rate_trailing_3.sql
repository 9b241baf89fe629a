WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
    COUNT(CASE WHEN opportunities.stage = 'won' THEN 1 END) AS win_rate__num,
    COUNT(*) AS win_rate__den
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage IN ('won', 'lost')
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE)
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
      CAST(DATE_TRUNC('MONTH', MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(opportunities.closed_at)) AS DATE) AS hi
    FROM opportunities AS opportunities
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
  CASE
    WHEN SUM(COALESCE(agg_opportunities_closed_at.win_rate__den, 0)) OVER (ORDER BY spine.period ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) >= 5
    THEN CAST(SUM(COALESCE(agg_opportunities_closed_at.win_rate__num, 0)) OVER (ORDER BY spine.period ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS DOUBLE) / NULLIF(
      SUM(COALESCE(agg_opportunities_closed_at.win_rate__den, 0)) OVER (ORDER BY spine.period ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
      0
    )
  END AS win_rate_trailing_3
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
ORDER BY
  spine.period
