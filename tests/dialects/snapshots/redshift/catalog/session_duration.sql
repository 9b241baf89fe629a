WITH agg_product_sessions_started_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', product_sessions.started_at) AS DATE) AS period,
    accounts.segment AS segment,
    CAST(AVG(CAST(product_sessions.duration_seconds AS DOUBLE PRECISION)) AS DOUBLE PRECISION) / 60 AS session_duration__num
  FROM product_sessions AS product_sessions
  LEFT JOIN accounts AS accounts
    ON product_sessions.account_id = accounts.account_id
  WHERE
    NOT product_sessions.started_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', product_sessions.started_at) AS DATE),
    accounts.segment
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_product_sessions_started_at
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
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_product_sessions_started_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.segment AS segment,
  agg_product_sessions_started_at.session_duration__num AS session_duration
FROM grid
LEFT JOIN agg_product_sessions_started_at
  ON agg_product_sessions_started_at.period = grid.period
  AND (
    COALESCE(CAST(agg_product_sessions_started_at.segment AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.segment AS VARCHAR(MAX)), '')
    AND (
      agg_product_sessions_started_at.segment IS NULL
    ) = (
      grid.segment IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.segment
