WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATEADD(
      DAY,
      -(
        DATEDIFF(DAY, CAST('1900-01-01' AS DATE), CAST(opportunities.closed_at AS DATE)) % 7
      ),
      CAST(opportunities.closed_at AS DATE)
    ) AS DATE) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
    AND opportunities.closed_at < CAST('2026-01-05' AS DATE)
    AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATEADD(
      DAY,
      -(
        DATEDIFF(DAY, CAST('1900-01-01' AS DATE), CAST(opportunities.closed_at AS DATE)) % 7
      ),
      CAST(opportunities.closed_at AS DATE)
    ) AS DATE)
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-01-08' AS DATE)),
    (CAST('2024-01-15' AS DATE)),
    (CAST('2024-01-22' AS DATE)),
    (CAST('2024-01-29' AS DATE)),
    (CAST('2024-02-05' AS DATE)),
    (CAST('2024-02-12' AS DATE)),
    (CAST('2024-02-19' AS DATE)),
    (CAST('2024-02-26' AS DATE)),
    (CAST('2024-03-04' AS DATE)),
    (CAST('2024-03-11' AS DATE)),
    (CAST('2024-03-18' AS DATE)),
    (CAST('2024-03-25' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-04-08' AS DATE)),
    (CAST('2024-04-15' AS DATE)),
    (CAST('2024-04-22' AS DATE)),
    (CAST('2024-04-29' AS DATE)),
    (CAST('2024-05-06' AS DATE)),
    (CAST('2024-05-13' AS DATE)),
    (CAST('2024-05-20' AS DATE)),
    (CAST('2024-05-27' AS DATE)),
    (CAST('2024-06-03' AS DATE)),
    (CAST('2024-06-10' AS DATE)),
    (CAST('2024-06-17' AS DATE)),
    (CAST('2024-06-24' AS DATE)),
    (CAST('2024-07-01' AS DATE)),
    (CAST('2024-07-08' AS DATE)),
    (CAST('2024-07-15' AS DATE)),
    (CAST('2024-07-22' AS DATE)),
    (CAST('2024-07-29' AS DATE)),
    (CAST('2024-08-05' AS DATE)),
    (CAST('2024-08-12' AS DATE)),
    (CAST('2024-08-19' AS DATE)),
    (CAST('2024-08-26' AS DATE)),
    (CAST('2024-09-02' AS DATE)),
    (CAST('2024-09-09' AS DATE)),
    (CAST('2024-09-16' AS DATE)),
    (CAST('2024-09-23' AS DATE)),
    (CAST('2024-09-30' AS DATE)),
    (CAST('2024-10-07' AS DATE)),
    (CAST('2024-10-14' AS DATE)),
    (CAST('2024-10-21' AS DATE)),
    (CAST('2024-10-28' AS DATE)),
    (CAST('2024-11-04' AS DATE)),
    (CAST('2024-11-11' AS DATE)),
    (CAST('2024-11-18' AS DATE)),
    (CAST('2024-11-25' AS DATE)),
    (CAST('2024-12-02' AS DATE)),
    (CAST('2024-12-09' AS DATE)),
    (CAST('2024-12-16' AS DATE)),
    (CAST('2024-12-23' AS DATE)),
    (CAST('2024-12-30' AS DATE)),
    (CAST('2025-01-06' AS DATE)),
    (CAST('2025-01-13' AS DATE)),
    (CAST('2025-01-20' AS DATE)),
    (CAST('2025-01-27' AS DATE)),
    (CAST('2025-02-03' AS DATE)),
    (CAST('2025-02-10' AS DATE)),
    (CAST('2025-02-17' AS DATE)),
    (CAST('2025-02-24' AS DATE)),
    (CAST('2025-03-03' AS DATE)),
    (CAST('2025-03-10' AS DATE)),
    (CAST('2025-03-17' AS DATE)),
    (CAST('2025-03-24' AS DATE)),
    (CAST('2025-03-31' AS DATE)),
    (CAST('2025-04-07' AS DATE)),
    (CAST('2025-04-14' AS DATE)),
    (CAST('2025-04-21' AS DATE)),
    (CAST('2025-04-28' AS DATE)),
    (CAST('2025-05-05' AS DATE)),
    (CAST('2025-05-12' AS DATE)),
    (CAST('2025-05-19' AS DATE)),
    (CAST('2025-05-26' AS DATE)),
    (CAST('2025-06-02' AS DATE)),
    (CAST('2025-06-09' AS DATE)),
    (CAST('2025-06-16' AS DATE)),
    (CAST('2025-06-23' AS DATE)),
    (CAST('2025-06-30' AS DATE)),
    (CAST('2025-07-07' AS DATE)),
    (CAST('2025-07-14' AS DATE)),
    (CAST('2025-07-21' AS DATE)),
    (CAST('2025-07-28' AS DATE)),
    (CAST('2025-08-04' AS DATE)),
    (CAST('2025-08-11' AS DATE)),
    (CAST('2025-08-18' AS DATE)),
    (CAST('2025-08-25' AS DATE)),
    (CAST('2025-09-01' AS DATE)),
    (CAST('2025-09-08' AS DATE)),
    (CAST('2025-09-15' AS DATE)),
    (CAST('2025-09-22' AS DATE)),
    (CAST('2025-09-29' AS DATE)),
    (CAST('2025-10-06' AS DATE)),
    (CAST('2025-10-13' AS DATE)),
    (CAST('2025-10-20' AS DATE)),
    (CAST('2025-10-27' AS DATE)),
    (CAST('2025-11-03' AS DATE)),
    (CAST('2025-11-10' AS DATE)),
    (CAST('2025-11-17' AS DATE)),
    (CAST('2025-11-24' AS DATE)),
    (CAST('2025-12-01' AS DATE)),
    (CAST('2025-12-08' AS DATE)),
    (CAST('2025-12-15' AS DATE)),
    (CAST('2025-12-22' AS DATE)),
    (CAST('2025-12-29' AS DATE))) AS periods(period)
)
SELECT
  spine.period,
  SUM(COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)) OVER (
    PARTITION BY CAST(DATETRUNC(QUARTER, spine.period) AS DATE)
    ORDER BY spine.period
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS won_revenue_qtd
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
ORDER BY
  spine.period
