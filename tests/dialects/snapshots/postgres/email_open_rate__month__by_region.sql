WITH agg_activities_occurred_at AS (
  SELECT
    activities.fence_key_0 AS period,
    activities.fence_key_1 AS region,
    COUNT(CASE WHEN activities.email_opened THEN 1 END) AS email_open_rate__num,
    COUNT(*) AS email_open_rate__den
  FROM (
    SELECT
      CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE) AS fence_key_0,
      reps.region AS fence_key_1,
      activities.*
    FROM activities AS activities
    LEFT JOIN reps AS reps
      ON activities.rep_id = reps.rep_id
    WHERE
      NOT activities.occurred_at IS NULL
      AND activities.occurred_at >= CAST('2024-01-01' AS DATE)
      AND activities.occurred_at < CAST('2025-01-01' AS DATE)
      AND activities.activity_type = 'email'
    OFFSET 0
  ) AS activities
  GROUP BY
    activities.fence_key_0,
    activities.fence_key_1
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST(value AS DATE)
    FROM GENERATE_SERIES(CAST('2024-01-01' AS DATE), CAST('2024-12-01' AS DATE), INTERVAL '1 MONTH') AS _t(value)
  ) AS periods(period)
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
  CAST(COALESCE(agg_activities_occurred_at.email_open_rate__num, 0) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_activities_occurred_at.email_open_rate__den, 0), 0) AS email_open_rate
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND (
    COALESCE(CAST(agg_activities_occurred_at.region AS TEXT), '') = COALESCE(CAST(grid.region AS TEXT), '')
    AND (
      agg_activities_occurred_at.region IS NULL
    ) = (
      grid.region IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.region
