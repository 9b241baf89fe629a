WITH ent_accounts_with_repeat_wins__agg_opportunities_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('YEAR', opportunities.closed_at) AS DATE) AS period,
    reps.region AS region,
    opportunities.account_id AS account,
    COUNT(*) AS deals_won__num
  FROM opportunities AS opportunities
  LEFT JOIN reps AS reps
    ON opportunities.owner_rep_id = reps.rep_id
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('YEAR', opportunities.closed_at) AS DATE),
    reps.region,
    opportunities.account_id
), ent_accounts_with_repeat_wins AS (
  SELECT
    per_entity.period AS period,
    per_entity.region AS region,
    COUNT(CASE WHEN per_entity.deals_won > 1 THEN 1 END) AS accounts_with_repeat_wins__ent
  FROM (
    SELECT
      ent_accounts_with_repeat_wins__agg_opportunities_closed_at.period AS period,
      ent_accounts_with_repeat_wins__agg_opportunities_closed_at.region AS region,
      ent_accounts_with_repeat_wins__agg_opportunities_closed_at.account AS account,
      COALESCE(ent_accounts_with_repeat_wins__agg_opportunities_closed_at.deals_won__num, 0) AS deals_won
    FROM ent_accounts_with_repeat_wins__agg_opportunities_closed_at
  ) AS per_entity
  WHERE
    NOT per_entity.account IS NULL
  GROUP BY
    per_entity.period,
    per_entity.region
  UNION ALL
  SELECT
    NULL AS period,
    population.region AS region,
    NULL AS accounts_with_repeat_wins__ent
  FROM (
    SELECT DISTINCT
      reps.region AS region
    FROM opportunities AS opportunities
    LEFT JOIN reps AS reps
      ON opportunities.owner_rep_id = reps.rep_id
  ) AS population
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM ent_accounts_with_repeat_wins
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('YEAR', MIN(opportunities.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('YEAR', MAX(opportunities.closed_at)) AS DATE) AS hi
    FROM opportunities AS opportunities
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
      INTERVAL '12' MONTH
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
    FROM ent_accounts_with_repeat_wins
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  COALESCE(ent_accounts_with_repeat_wins.accounts_with_repeat_wins__ent, 0) AS accounts_with_repeat_wins
FROM grid
LEFT JOIN ent_accounts_with_repeat_wins
  ON ent_accounts_with_repeat_wins.period = grid.period
  AND ent_accounts_with_repeat_wins.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
