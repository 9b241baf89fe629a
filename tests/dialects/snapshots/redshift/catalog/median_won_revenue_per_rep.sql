WITH ent_median_won_revenue_per_rep AS (
  SELECT
    period,
    team,
    MEDIAN(won_revenue) AS median_won_revenue_per_rep__ent
  FROM (
    WITH ent_median_won_revenue_per_rep__agg_opportunities_closed_at AS (
      SELECT
        CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE) AS period,
        reps.team AS team,
        reps.rep_name AS rep,
        SUM(opportunities.amount) AS won_revenue__num
      FROM opportunities AS opportunities
      LEFT JOIN reps AS reps
        ON opportunities.owner_rep_id = reps.rep_id
      WHERE
        NOT opportunities.closed_at IS NULL
        AND opportunities.closed_at >= CAST('2024-01-01' AS DATE)
        AND opportunities.closed_at < CAST('2026-01-01' AS DATE)
        AND opportunities.stage = 'won'
      GROUP BY
        CAST(DATE_TRUNC('MONTH', opportunities.closed_at) AS DATE),
        reps.team,
        reps.rep_name
    ), ent_median_won_revenue_per_rep__spine AS (
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
    ), ent_median_won_revenue_per_rep__grid AS (
      SELECT
        ent_median_won_revenue_per_rep__spine.period,
        dims.team,
        dims.rep
      FROM ent_median_won_revenue_per_rep__spine
      CROSS JOIN (
        SELECT DISTINCT
          team,
          rep
        FROM ent_median_won_revenue_per_rep__agg_opportunities_closed_at
      ) AS dims
    )
    SELECT
      ent_median_won_revenue_per_rep__grid.period,
      ent_median_won_revenue_per_rep__grid.team AS team,
      ent_median_won_revenue_per_rep__grid.rep AS rep,
      COALESCE(ent_median_won_revenue_per_rep__agg_opportunities_closed_at.won_revenue__num, 0) AS won_revenue
    FROM ent_median_won_revenue_per_rep__grid
    LEFT JOIN ent_median_won_revenue_per_rep__agg_opportunities_closed_at
      ON ent_median_won_revenue_per_rep__agg_opportunities_closed_at.period = ent_median_won_revenue_per_rep__grid.period
      AND ent_median_won_revenue_per_rep__agg_opportunities_closed_at.team IS NOT DISTINCT FROM ent_median_won_revenue_per_rep__grid.team
      AND ent_median_won_revenue_per_rep__agg_opportunities_closed_at.rep IS NOT DISTINCT FROM ent_median_won_revenue_per_rep__grid.rep
  ) AS per_entity
  GROUP BY
    period,
    team
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
    dims.team
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      team
    FROM ent_median_won_revenue_per_rep
  ) AS dims
)
SELECT
  grid.period,
  grid.team AS team,
  ent_median_won_revenue_per_rep.median_won_revenue_per_rep__ent AS median_won_revenue_per_rep
FROM grid
LEFT JOIN ent_median_won_revenue_per_rep
  ON ent_median_won_revenue_per_rep.period = grid.period
  AND ent_median_won_revenue_per_rep.team IS NOT DISTINCT FROM grid.team
ORDER BY
  grid.period,
  grid.team
