WITH agg_quotas_quarter_start AS (
  SELECT
    CAST(DATETRUNC(QUARTER, quotas.quarter_start) AS DATE) AS period,
    reps.rep_name AS rep,
    SUM(quotas.quota) AS quota__num
  FROM quotas AS quotas
  LEFT JOIN reps AS reps
    ON quotas.rep_id = reps.rep_id
  WHERE
    NOT quotas.quarter_start IS NULL
    AND quotas.quarter_start >= CAST('2024-01-01' AS DATE)
    AND quotas.quarter_start < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATETRUNC(QUARTER, quotas.quarter_start) AS DATE),
    reps.rep_name
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-07-01' AS DATE)),
    (CAST('2024-10-01' AS DATE)),
    (CAST('2025-01-01' AS DATE)),
    (CAST('2025-04-01' AS DATE)),
    (CAST('2025-07-01' AS DATE)),
    (CAST('2025-10-01' AS DATE))) AS periods(period)
), grid AS (
  SELECT
    spine.period AS period,
    dims.rep AS rep
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      rep AS rep
    FROM agg_quotas_quarter_start
  ) AS dims
)
SELECT
  grid.period,
  grid.rep AS rep,
  COALESCE(agg_quotas_quarter_start.quota__num, 0) AS quota
FROM grid
LEFT JOIN agg_quotas_quarter_start
  ON agg_quotas_quarter_start.period = grid.period
  AND agg_quotas_quarter_start.rep IS NOT DISTINCT FROM grid.rep
ORDER BY
  grid.period,
  grid.rep
