WITH agg_quotas_quarter_start AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', quotas.quarter_start) AS DATE) AS period,
    reps.rep_name AS rep,
    SUM(quotas.quota) AS quota__num
  FROM quotas AS quotas
  LEFT JOIN reps AS reps
    ON quotas.rep_id = reps.rep_id
  WHERE
    NOT quotas.quarter_start IS NULL
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', quotas.quarter_start) AS DATE),
    reps.rep_name
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_quotas_quarter_start
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
    CAST(DATEADD(MONTH, (
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN bounds
  WHERE
    (
      (
        d0.d + d1.d * 10 + d2.d * 100
      ) * 3
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, (
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3, bounds.lo) AS DATE) <= bounds.hi
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
  AND (
    COALESCE(CAST(agg_quotas_quarter_start.rep AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.rep AS VARCHAR(MAX)), '')
    AND (
      agg_quotas_quarter_start.rep IS NULL
    ) = (
      grid.rep IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.rep
