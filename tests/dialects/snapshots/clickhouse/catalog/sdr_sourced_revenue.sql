WITH agg_sdr_deals_closed_at AS (
  SELECT
    CAST(dateTrunc('MONTH', sdr_deals.closed_at) AS Nullable(DATE)) AS period,
    employees.employee_name AS rep,
    SUM(sdr_deals.amount) AS sdr_sourced_revenue__num
  FROM (
    SELECT
      o.*,
      s.sdr_employee_id,
      s.sourced_at
    FROM opportunities AS o
    JOIN opportunity_sourcing AS s
      ON s.opportunity_id = o.opportunity_id
  ) AS sdr_deals
  LEFT JOIN employees AS employees
    ON sdr_deals.sdr_employee_id = employees.employee_id
  WHERE
    NOT (
      sdr_deals.closed_at IS NULL
    ) AND sdr_deals.stage = 'won'
  GROUP BY
    CAST(dateTrunc('MONTH', sdr_deals.closed_at) AS Nullable(DATE)),
    employees.employee_name
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_sdr_deals_closed_at
    UNION ALL
    SELECT
      CAST(dateTrunc('MONTH', MIN(sdr_deals.closed_at)) AS Nullable(DATE)) AS lo,
      CAST(dateTrunc('MONTH', MAX(sdr_deals.closed_at)) AS Nullable(DATE)) AS hi
    FROM (
      SELECT
        o.*,
        s.sdr_employee_id,
        s.sourced_at
      FROM opportunities AS o
      JOIN opportunity_sourcing AS s
        ON s.opportunity_id = o.opportunity_id
    ) AS sdr_deals
  ) AS scans
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
    CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) <= bounds.hi
), grid AS (
  SELECT
    spine.period AS period,
    dims.rep AS rep
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      rep
    FROM agg_sdr_deals_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.rep AS rep,
  COALESCE(agg_sdr_deals_closed_at.sdr_sourced_revenue__num, 0) AS sdr_sourced_revenue
FROM grid
LEFT JOIN agg_sdr_deals_closed_at
  ON agg_sdr_deals_closed_at.period = grid.period
  AND agg_sdr_deals_closed_at.rep IS NOT DISTINCT FROM grid.rep
ORDER BY
  grid.period,
  grid.rep
