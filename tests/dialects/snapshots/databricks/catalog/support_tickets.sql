WITH agg_support_tickets_opened_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', support_tickets.opened_at) AS DATE) AS period,
    support_tickets.priority AS priority,
    COUNT(*) AS support_tickets__num
  FROM support_tickets AS support_tickets
  WHERE
    NOT support_tickets.opened_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', support_tickets.opened_at) AS DATE),
    support_tickets.priority
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_support_tickets_opened_at
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
      INTERVAL '1' MONTH
    )
  ) AS periods(period)
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
  AND agg_support_tickets_opened_at.priority IS NOT DISTINCT FROM grid.priority
ORDER BY
  grid.period,
  grid.priority
