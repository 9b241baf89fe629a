WITH ent_activities_per_rep__agg_activities_occurred_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE) AS period,
    activities.rep_id AS rep,
    COUNT(*) AS activities_logged__num
  FROM activities AS activities
  WHERE
    NOT activities.occurred_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', activities.occurred_at) AS DATE),
    activities.rep_id
), ent_activities_per_rep__bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM ent_activities_per_rep__agg_activities_occurred_at
), ent_activities_per_rep__spine AS (
  SELECT
    period
  FROM EXPLODE(
    SEQUENCE(
      (
        SELECT
          lo
        FROM ent_activities_per_rep__bounds
      ),
      (
        SELECT
          hi
        FROM ent_activities_per_rep__bounds
      ),
      INTERVAL '1' MONTH
    )
  ) AS periods(period)
), ent_activities_per_rep__grid AS (
  SELECT
    ent_activities_per_rep__spine.period AS period,
    dims.rep AS rep
  FROM ent_activities_per_rep__spine
  CROSS JOIN (
    SELECT DISTINCT
      reps.rep_id AS rep
    FROM reps AS reps
  ) AS dims
), ent_activities_per_rep AS (
  SELECT
    per_entity.period AS period,
    population.region AS region,
    AVG(per_entity.activities_logged) AS activities_per_rep__ent
  FROM (
    SELECT
      ent_activities_per_rep__grid.period AS period,
      ent_activities_per_rep__grid.rep AS rep,
      COALESCE(ent_activities_per_rep__agg_activities_occurred_at.activities_logged__num, 0) AS activities_logged
    FROM ent_activities_per_rep__grid
    LEFT JOIN ent_activities_per_rep__agg_activities_occurred_at
      ON ent_activities_per_rep__agg_activities_occurred_at.period = ent_activities_per_rep__grid.period
      AND ent_activities_per_rep__agg_activities_occurred_at.rep IS NOT DISTINCT FROM ent_activities_per_rep__grid.rep
  ) AS per_entity
  INNER JOIN (
    SELECT DISTINCT
      reps.region AS region,
      reps.rep_id AS rep
    FROM reps AS reps
  ) AS population
    ON per_entity.rep = population.rep
  GROUP BY
    per_entity.period,
    population.region
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM ent_activities_per_rep
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
    FROM ent_activities_per_rep
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  ent_activities_per_rep.activities_per_rep__ent AS activities_per_rep
FROM grid
LEFT JOIN ent_activities_per_rep
  ON ent_activities_per_rep.period = grid.period
  AND ent_activities_per_rep.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
