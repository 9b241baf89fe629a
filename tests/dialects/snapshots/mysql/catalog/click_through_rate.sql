WITH agg_activities_occurred_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', activities.occurred_at)) MONTH
    ) AS DATE) AS period,
    reps.region AS region,
    COUNT(CASE WHEN activities.email_clicked THEN 1 END) AS click_through_rate__num,
    COUNT(*) AS click_through_rate__den
  FROM activities AS activities
  LEFT JOIN reps AS reps
    ON activities.rep_id = reps.rep_id
  WHERE
    NOT activities.occurred_at IS NULL
    AND activities.occurred_at >= CAST('2024-01-01' AS DATE)
    AND activities.occurred_at < CAST('2026-01-01' AS DATE)
    AND activities.activity_type = 'email'
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', activities.occurred_at)) MONTH
    ) AS DATE),
    reps.region
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
    dims.region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM agg_activities_occurred_at
  ) AS dims
)
SELECT
  grid.period,
  grid.region AS region,
  CAST(COALESCE(agg_activities_occurred_at.click_through_rate__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_activities_occurred_at.click_through_rate__den, 0), 0) AS click_through_rate
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND agg_activities_occurred_at.region <=> grid.region
ORDER BY
  grid.period,
  grid.region
