WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE) AS period,
    COUNT_BIG(CASE WHEN opportunities.stage = 'won' THEN 1 END) AS win_rate__num,
    COUNT_BIG(*) AS win_rate__den
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at >= CAST('2023-11-01' AS DATE)
    AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
    AND opportunities.stage IN ('won', 'lost')
  GROUP BY
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE)
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2023-11-01' AS DATE)),
    (CAST('2023-12-01' AS DATE)),
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-02-01' AS DATE)),
    (CAST('2024-03-01' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-05-01' AS DATE)),
    (CAST('2024-06-01' AS DATE)),
    (CAST('2024-07-01' AS DATE)),
    (CAST('2024-08-01' AS DATE)),
    (CAST('2024-09-01' AS DATE)),
    (CAST('2024-10-01' AS DATE)),
    (CAST('2024-11-01' AS DATE)),
    (CAST('2024-12-01' AS DATE)),
    (CAST('2025-01-01' AS DATE)),
    (CAST('2025-02-01' AS DATE)),
    (CAST('2025-03-01' AS DATE)),
    (CAST('2025-04-01' AS DATE)),
    (CAST('2025-05-01' AS DATE)),
    (CAST('2025-06-01' AS DATE)),
    (CAST('2025-07-01' AS DATE)),
    (CAST('2025-08-01' AS DATE)),
    (CAST('2025-09-01' AS DATE)),
    (CAST('2025-10-01' AS DATE)),
    (CAST('2025-11-01' AS DATE)),
    (CAST('2025-12-01' AS DATE))) AS periods(period)
), stage1 AS (
  SELECT
    spine.period AS period,
    CASE
      WHEN SUM(COALESCE(agg_opportunities_closed_at.win_rate__den, 0)) OVER (ORDER BY spine.period ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) >= 5
      THEN CAST(SUM(COALESCE(agg_opportunities_closed_at.win_rate__num, 0)) OVER (ORDER BY spine.period ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS FLOAT) / NULLIF(
        SUM(COALESCE(agg_opportunities_closed_at.win_rate__den, 0)) OVER (ORDER BY spine.period ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
        0
      )
    END AS win_rate_trailing_3
  FROM spine
  LEFT JOIN agg_opportunities_closed_at
    ON agg_opportunities_closed_at.period = spine.period
)
SELECT
  period,
  win_rate_trailing_3
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period
