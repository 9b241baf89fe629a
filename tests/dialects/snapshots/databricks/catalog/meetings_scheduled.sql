WITH agg_activities_occurred_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE) AS period,
    reps.region AS region,
    COUNT(*) AS meetings_scheduled__num
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
), spine AS (
  SELECT
    period
  FROM EXPLODE(
    SEQUENCE(
      (
        SELECT
          lo
        FROM bounds
      ),
      (
        SELECT
          hi
        FROM bounds
      ),
      INTERVAL '1' MONTH
    )
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
  COALESCE(agg_activities_occurred_at.meetings_scheduled__num, 0) AS meetings_scheduled
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND agg_activities_occurred_at.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
