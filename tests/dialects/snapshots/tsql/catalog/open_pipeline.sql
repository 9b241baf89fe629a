WITH agg_opportunities_created_at AS (
  SELECT
    CASE
      WHEN opportunities.created_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, opportunities.created_at) AS DATE)
    END AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    SUM(opportunities.amount) AS open_pipeline__opens
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
    AND opportunities.created_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN opportunities.created_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, opportunities.created_at) AS DATE)
    END,
    COALESCE(opportunities.lead_source, 'unknown')
), agg_opportunities_closed_at AS (
  SELECT
    CASE
      WHEN opportunities.closed_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE)
    END AS period,
    COALESCE(opportunities.lead_source, 'unknown') AS lead_source,
    SUM(opportunities.amount) AS open_pipeline__closes
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN opportunities.closed_at < CAST('2023-12-01' AS DATE)
      THEN CAST('2023-12-01' AS DATE)
      ELSE CAST(DATETRUNC(MONTH, opportunities.closed_at) AS DATE)
    END,
    COALESCE(opportunities.lead_source, 'unknown')
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
), grid AS (
  SELECT
    spine.period AS period,
    dims.lead_source AS lead_source
  FROM spine
  CROSS JOIN (
    SELECT
      lead_source
    FROM agg_opportunities_created_at
    UNION
    SELECT
      lead_source
    FROM agg_opportunities_closed_at
  ) AS dims
), stage1 AS (
  SELECT
    grid.period AS period,
    grid.lead_source AS lead_source,
    SUM(
      COALESCE(agg_opportunities_created_at.open_pipeline__opens, 0) - COALESCE(agg_opportunities_closed_at.open_pipeline__closes, 0)
    ) OVER (
      PARTITION BY grid.lead_source
      ORDER BY grid.period
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS open_pipeline
  FROM grid
  LEFT JOIN agg_opportunities_created_at
    ON agg_opportunities_created_at.period = grid.period
    AND agg_opportunities_created_at.lead_source IS NOT DISTINCT FROM grid.lead_source
  LEFT JOIN agg_opportunities_closed_at
    ON agg_opportunities_closed_at.period = grid.period
    AND agg_opportunities_closed_at.lead_source IS NOT DISTINCT FROM grid.lead_source
)
SELECT
  period,
  lead_source,
  open_pipeline
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period,
  lead_source
