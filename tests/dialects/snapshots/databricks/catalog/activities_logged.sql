WITH agg_activities_occurred_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE) AS period,
    activities.activity_type AS activity_type,
    COUNT(*) AS activities_logged__num
  FROM activities AS activities
  WHERE
    NOT activities.occurred_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE),
    activities.activity_type
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_activities_occurred_at
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
    dims.activity_type AS activity_type
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      activity_type
    FROM agg_activities_occurred_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.activity_type AS activity_type,
  COALESCE(agg_activities_occurred_at.activities_logged__num, 0) AS activities_logged
FROM grid
LEFT JOIN agg_activities_occurred_at
  ON agg_activities_occurred_at.period = grid.period
  AND agg_activities_occurred_at.activity_type IS NOT DISTINCT FROM grid.activity_type
ORDER BY
  grid.period,
  grid.activity_type
