WITH ent_opportunities_per_rep__agg_opportunities_created_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', opportunities.created_at) AS DATE) AS period,
    opportunities.owner_rep_id AS rep,
    COUNT(*) AS opportunities_created__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.created_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', opportunities.created_at) AS DATE),
    opportunities.owner_rep_id
), ent_opportunities_per_rep__bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM ent_opportunities_per_rep__agg_opportunities_created_at
), ent_opportunities_per_rep__spine AS (
  SELECT
    period
  FROM EXPLODE(
    SEQUENCE(
      (
        SELECT
          lo
        FROM ent_opportunities_per_rep__bounds
      ),
      (
        SELECT
          hi
        FROM ent_opportunities_per_rep__bounds
      ),
      INTERVAL '1' MONTH
    )
  ) AS periods(period)
), ent_opportunities_per_rep__grid AS (
  SELECT
    ent_opportunities_per_rep__spine.period AS period,
    dims.rep AS rep
  FROM ent_opportunities_per_rep__spine
  CROSS JOIN (
    SELECT DISTINCT
      reps.rep_id AS rep
    FROM reps AS reps
  ) AS dims
), ent_opportunities_per_rep AS (
  SELECT
    per_entity.period AS period,
    population.region AS region,
    AVG(per_entity.opportunities_created) AS opportunities_per_rep__ent
  FROM (
    SELECT
      ent_opportunities_per_rep__grid.period AS period,
      ent_opportunities_per_rep__grid.rep AS rep,
      COALESCE(
        ent_opportunities_per_rep__agg_opportunities_created_at.opportunities_created__num,
        0
      ) AS opportunities_created
    FROM ent_opportunities_per_rep__grid
    LEFT JOIN ent_opportunities_per_rep__agg_opportunities_created_at
      ON ent_opportunities_per_rep__agg_opportunities_created_at.period = ent_opportunities_per_rep__grid.period
      AND ent_opportunities_per_rep__agg_opportunities_created_at.rep IS NOT DISTINCT FROM ent_opportunities_per_rep__grid.rep
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
  FROM ent_opportunities_per_rep
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
    FROM ent_opportunities_per_rep
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  ent_opportunities_per_rep.opportunities_per_rep__ent AS opportunities_per_rep
FROM grid
LEFT JOIN ent_opportunities_per_rep
  ON ent_opportunities_per_rep.period = grid.period
  AND ent_opportunities_per_rep.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
