WITH agg_replies_replied_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', replies.replied_at)) MONTH
    ) AS DATE) AS period,
    replies.sentiment AS sentiment,
    COUNT(DISTINCT replies.account_id) AS companies_responded__num
  FROM replies AS replies
  WHERE
    NOT replies.replied_at IS NULL
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', replies.replied_at)) MONTH
    ) AS DATE),
    replies.sentiment
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_replies_replied_at
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
    dims.sentiment AS sentiment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      sentiment
    FROM agg_replies_replied_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.sentiment AS sentiment,
  COALESCE(agg_replies_replied_at.companies_responded__num, 0) AS companies_responded
FROM grid
LEFT JOIN agg_replies_replied_at
  ON agg_replies_replied_at.period = grid.period
  AND agg_replies_replied_at.sentiment <=> grid.sentiment
ORDER BY
  grid.period,
  grid.sentiment
