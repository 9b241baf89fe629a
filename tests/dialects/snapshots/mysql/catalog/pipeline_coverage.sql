WITH agg_opportunities_created_at AS (
  SELECT
    CASE
      WHEN opportunities.created_at < CAST('2023-10-01' AS DATE)
      THEN CAST('2023-10-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.created_at)) QUARTER
      ) AS DATE)
    END AS period,
    SUM(opportunities.amount) AS open_pipeline_at_start__opens
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
    AND opportunities.created_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN opportunities.created_at < CAST('2023-10-01' AS DATE)
      THEN CAST('2023-10-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.created_at)) QUARTER
      ) AS DATE)
    END
), agg_opportunities_closed_at AS (
  SELECT
    CASE
      WHEN opportunities.closed_at < CAST('2023-10-01' AS DATE)
      THEN CAST('2023-10-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.closed_at)) QUARTER
      ) AS DATE)
    END AS period,
    SUM(opportunities.amount) AS open_pipeline_at_start__closes
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL
    AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CASE
      WHEN opportunities.closed_at < CAST('2023-10-01' AS DATE)
      THEN CAST('2023-10-01' AS DATE)
      ELSE CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', opportunities.closed_at)) QUARTER
      ) AS DATE)
    END
), agg_quotas_quarter_start AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
    ) AS DATE) AS period,
    SUM(quotas.quota) AS quota__num
  FROM quotas AS quotas
  WHERE
    NOT quotas.quarter_start IS NULL
    AND quotas.quarter_start >= CAST('2023-10-01' AS DATE)
    AND quotas.quarter_start < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
    ) AS DATE)
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST('2023-10-01' AS DATE) AS period
    UNION ALL
    SELECT
      CAST('2024-01-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-01-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-10-01' AS DATE)
  ) AS periods
), stage1 AS (
  SELECT
    spine.period,
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
)
SELECT
  period,
  pipeline_coverage
FROM stage1
WHERE
  period >= CAST('2024-01-01' AS DATE)
ORDER BY
  period
