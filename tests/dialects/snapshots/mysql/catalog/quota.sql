WITH agg_quotas_quarter_start AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
    ) AS DATE) AS period,
    reps.rep_name AS rep,
    SUM(quotas.quota) AS quota__num
  FROM quotas AS quotas
  LEFT JOIN reps AS reps
    ON quotas.rep_id = reps.rep_id
  WHERE
    NOT quotas.quarter_start IS NULL
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(QUARTER, '0000-01-01 00:00:00', quotas.quarter_start)) QUARTER
    ) AS DATE),
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
    CAST(DATE_ADD(bounds.lo, INTERVAL ((
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3) MONTH) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN bounds
  WHERE
    (
      (
        d0.d + d1.d * 10 + d2.d * 100
      ) * 3
    ) * 28 <= DATEDIFF(bounds.hi, bounds.lo)
    AND CAST(DATE_ADD(bounds.lo, INTERVAL ((
      d0.d + d1.d * 10 + d2.d * 100
    ) * 3) MONTH) AS DATE) <= bounds.hi
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
  AND agg_quotas_quarter_start.rep <=> grid.rep
ORDER BY
  grid.period,
  grid.rep
