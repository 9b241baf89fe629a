WITH agg_activities_occurred_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE) AS period,
    reps.region AS region,
    COUNT(CASE WHEN activities.meeting_attended THEN 1 END) AS meeting_attendance_rate__num,
    COUNT(*) AS meeting_attendance_rate__den
  FROM activities AS activities
  LEFT JOIN reps AS reps
    ON activities.rep_id = reps.rep_id
  WHERE
    NOT activities.occurred_at IS NULL AND activities.activity_type = 'meeting'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE),
    reps.region
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_activities_occurred_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(activities.occurred_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(activities.occurred_at)) AS DATE) AS hi
    FROM activities AS activities
  ) AS scans
), digits AS (
  SELECT
    0 AS d
  UNION ALL
  SELECT
    1 AS d
  UNION ALL
  SELECT
    2 AS d
  UNION ALL
  SELECT
    3 AS d
  UNION ALL
  SELECT
    4 AS d
  UNION ALL
  SELECT
    5 AS d
  UNION ALL
  SELECT
    6 AS d
  UNION ALL
  SELECT
    7 AS d
  UNION ALL
  SELECT
    8 AS d
  UNION ALL
  SELECT
    9 AS d
), spine AS (
  SELECT
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
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
  CAST(COALESCE(agg_activities_occurred_at.meeting_attendance_rate__num, 0) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_activities_occurred_at.meeting_attendance_rate__den, 0), 0) AS meeting_attendance_rate
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND (
    COALESCE(CAST(agg_activities_occurred_at.region AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.region AS VARCHAR(MAX)), '')
    AND (
      agg_activities_occurred_at.region IS NULL
    ) = (
      grid.region IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.region
