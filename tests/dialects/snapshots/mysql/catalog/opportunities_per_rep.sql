WITH ent_opportunities_per_rep AS (
  SELECT
    per_entity.period AS period,
    population.region AS region,
    AVG(CAST(per_entity.opportunities_created AS DOUBLE)) AS opportunities_per_rep__ent
  FROM (
    WITH ent_opportunities_per_rep__agg_opportunities_created_at AS (
      SELECT
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.created_at)) MONTH
        ) AS DATE) AS period,
        opportunities.owner_rep_id AS rep,
        COUNT(*) AS opportunities_created__num
      FROM opportunities AS opportunities
      WHERE
        NOT opportunities.created_at IS NULL
      GROUP BY
        CAST(DATE_ADD(
          '0000-01-01 00:00:00',
          INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', opportunities.created_at)) MONTH
        ) AS DATE),
        opportunities.owner_rep_id
    ), ent_opportunities_per_rep__bounds AS (
      SELECT
        MIN(period) AS lo,
        MAX(period) AS hi
      FROM ent_opportunities_per_rep__agg_opportunities_created_at
    ), ent_opportunities_per_rep__digits AS (
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
    ), ent_opportunities_per_rep__spine AS (
      SELECT
        CAST(DATE_ADD(
          ent_opportunities_per_rep__bounds.lo,
          INTERVAL (d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000) MONTH
        ) AS DATE) AS period
      FROM ent_opportunities_per_rep__digits AS d0
      CROSS JOIN ent_opportunities_per_rep__digits AS d1
      CROSS JOIN ent_opportunities_per_rep__digits AS d2
      CROSS JOIN ent_opportunities_per_rep__digits AS d3
      CROSS JOIN ent_opportunities_per_rep__bounds
      WHERE
        (
          d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
        ) * 28 <= DATEDIFF(ent_opportunities_per_rep__bounds.hi, ent_opportunities_per_rep__bounds.lo)
        AND CAST(DATE_ADD(
          ent_opportunities_per_rep__bounds.lo,
          INTERVAL (d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000) MONTH
        ) AS DATE) <= ent_opportunities_per_rep__bounds.hi
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
    )
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
      AND ent_opportunities_per_rep__agg_opportunities_created_at.rep <=> ent_opportunities_per_rep__grid.rep
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
    CAST(DATE_ADD(bounds.lo, INTERVAL (d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000) MONTH) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(bounds.hi, bounds.lo)
    AND CAST(DATE_ADD(bounds.lo, INTERVAL (d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000) MONTH) AS DATE) <= bounds.hi
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
  AND ent_opportunities_per_rep.region <=> grid.region
ORDER BY
  grid.period,
  grid.region
