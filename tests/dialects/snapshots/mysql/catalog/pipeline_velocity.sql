WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.closed_at)) MONTH
    ) AS DATE) AS period,
    AVG(
      CASE
        WHEN opportunities.stage = 'won'
        THEN DATEDIFF(CAST(opportunities.closed_at AS DATE), CAST(opportunities.created_at AS DATE))
      END
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
    AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
    AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.closed_at)) MONTH
    ) AS DATE)
), agg_opportunities_created_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.created_at)) MONTH
    ) AS DATE) AS period,
    COUNT(*) AS opportunities_created__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
    AND opportunities.created_at >= CAST('2024-01-01' AS DATE)
    AND opportunities.created_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.created_at)) MONTH
    ) AS DATE)
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST('2024-01-01' AS DATE) AS period
    UNION ALL
    SELECT
      CAST('2024-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-12-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-01-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-12-01' AS DATE)
  ) AS periods
)
SELECT
  spine.period,
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
