WITH agg_support_tickets_opened_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', support_tickets.opened_at)) MONTH
    ) AS DATE) AS period,
    support_tickets.priority AS priority,
    COUNT(*) AS support_tickets__num
  FROM support_tickets AS support_tickets
  WHERE
    NOT support_tickets.opened_at IS NULL
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', support_tickets.opened_at)) MONTH
    ) AS DATE),
    support_tickets.priority
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_support_tickets_opened_at
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
    dims.priority AS priority
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      priority
    FROM agg_support_tickets_opened_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.priority AS priority,
  COALESCE(agg_support_tickets_opened_at.support_tickets__num, 0) AS support_tickets
FROM grid
LEFT JOIN agg_support_tickets_opened_at
  ON agg_support_tickets_opened_at.period = grid.period
  AND agg_support_tickets_opened_at.priority <=> grid.priority
ORDER BY
  grid.period,
  grid.priority
