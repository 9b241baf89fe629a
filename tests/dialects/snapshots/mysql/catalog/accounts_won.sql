WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.closed_at)) MONTH
    ) AS DATE) AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    COUNT(DISTINCT opportunities.account_id) AS accounts_won__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
    AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
    AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.closed_at)) MONTH
    ) AS DATE),
    COALESCE(opportunities.lead_source, 'unknown')
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
), grid AS (
  SELECT
    spine.period,
    dims.lead_source
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      lead_source
    FROM agg_opportunities_closed_at
  ) AS dims
)
SELECT
  grid.period,
  grid.lead_source AS lead_source,
  COALESCE(agg_opportunities_closed_at.accounts_won__num, 0) AS accounts_won
FROM grid
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = grid.period
  AND agg_opportunities_closed_at.lead_source <=> grid.lead_source
ORDER BY
  grid.period,
  grid.lead_source
