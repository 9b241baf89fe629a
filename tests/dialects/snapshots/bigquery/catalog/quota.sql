WITH agg_quotas_quarter_start AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(quotas.quarter_start, QUARTER) AS DATE) AS period,
    reps.rep_name AS rep,
    SUM(quotas.quota) AS quota__num
  FROM quotas AS quotas
  LEFT JOIN reps AS reps
    ON quotas.rep_id = reps.rep_id
  WHERE
    NOT quotas.quarter_start IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(quotas.quarter_start, QUARTER) AS DATE),
    reps.rep_name
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_quotas_quarter_start
), spine AS (
  SELECT
    period
  FROM UNNEST(GENERATE_DATE_ARRAY(
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
    INTERVAL '3' MONTH
  )) AS period
), grid AS (
  SELECT
    spine.period AS period,
    dims.rep AS rep
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      rep
    FROM agg_quotas_quarter_start
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.rep AS rep,
  COALESCE(agg_quotas_quarter_start.quota__num, 0) AS quota
FROM grid
LEFT JOIN agg_quotas_quarter_start
  ON agg_quotas_quarter_start.period = grid.period
  AND agg_quotas_quarter_start.rep IS NOT DISTINCT FROM grid.rep
ORDER BY
  grid.period,
  grid.rep
