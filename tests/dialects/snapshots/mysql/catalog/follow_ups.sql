WITH agg_activities_occurred_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', activities.occurred_at)) MONTH
    ) AS DATE) AS period,
    activities.activity_type AS activity_type,
    COUNT(*) AS follow_ups__num
  FROM activities AS activities
  WHERE
    NOT activities.occurred_at IS NULL
    AND activities.occurred_at >= CAST('2024-01-01' AS DATE)
    AND activities.occurred_at < CAST('2026-01-01' AS DATE)
    AND activities.is_follow_up
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', activities.occurred_at)) MONTH
    ) AS DATE),
    activities.activity_type
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
    dims.activity_type
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      activity_type
    FROM agg_activities_occurred_at
  ) AS dims
)
SELECT
  grid.period,
  grid.activity_type AS activity_type,
  COALESCE(agg_activities_occurred_at.follow_ups__num, 0) AS follow_ups
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND agg_activities_occurred_at.activity_type <=> grid.activity_type
ORDER BY
  grid.period,
  grid.activity_type
