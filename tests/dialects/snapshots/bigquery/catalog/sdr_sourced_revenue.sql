WITH agg_sdr_deals_closed_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(sdr_deals.closed_at, MONTH) AS DATE) AS period,
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
    NOT sdr_deals.closed_at IS NULL AND sdr_deals.stage = 'won'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(sdr_deals.closed_at, MONTH) AS DATE),
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
      CAST(TIMESTAMP_TRUNC(MIN(sdr_deals.closed_at), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(sdr_deals.closed_at), MONTH) AS DATE) AS hi
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
    INTERVAL '1' MONTH
  )) AS period
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
