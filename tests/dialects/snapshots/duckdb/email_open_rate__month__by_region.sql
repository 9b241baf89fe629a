WITH agg_activities_occurred_at AS (
  SELECT
    MAKE_DATE(
      (
        YEAR(activities.occurred_at) * 12 + MONTH(activities.occurred_at) - 1
      ) // 12,
      (
        YEAR(activities.occurred_at) * 12 + MONTH(activities.occurred_at) - 1
      ) % 12 + 1,
      1
    ) AS period,
    reps.region AS region,
    COUNT_IF(activities.email_opened) AS email_open_rate__num,
    COUNT(*) AS email_open_rate__den
  FROM activities AS activities
  LEFT JOIN reps AS reps
    ON activities.rep_id = reps.rep_id
  WHERE
    NOT activities.occurred_at IS NULL
    AND activities.occurred_at >= CAST('2024-01-01' AS DATE)
    AND activities.occurred_at < CAST('2025-01-01' AS DATE)
    AND activities.activity_type = 'email'
  GROUP BY
    YEAR(activities.occurred_at) * 12 + MONTH(activities.occurred_at) - 1,
    reps.region
), spine AS (
  SELECT
    period
  FROM UNNEST(CAST(GENERATE_SERIES(CAST('2024-01-01' AS DATE), CAST('2024-12-01' AS DATE), INTERVAL '1' MONTH) AS DATE[])) AS periods(period)
), grid AS (
  SELECT
    spine.period AS period,
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM agg_activities_occurred_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  CAST(COALESCE(agg_activities_occurred_at.email_open_rate__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_activities_occurred_at.email_open_rate__den, 0), 0) AS email_open_rate
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND agg_activities_occurred_at.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
