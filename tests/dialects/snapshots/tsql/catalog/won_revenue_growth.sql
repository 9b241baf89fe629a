WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at >= CAST('2023-12-01' AS DATE)
    AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
    AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE)
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
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
    CAST((
      (
        COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
      ) - LAG(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0), 1) OVER (ORDER BY spine.period)
    ) AS FLOAT) / NULLIF(
      LAG(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0), 1) OVER (ORDER BY spine.period),
      0
    ) AS won_revenue_growth
  FROM spine
  LEFT JOIN agg_opportunities_closed_at
    ON agg_opportunities_closed_at.period = spine.period
)
SELECT
  period,
  won_revenue_growth
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period
