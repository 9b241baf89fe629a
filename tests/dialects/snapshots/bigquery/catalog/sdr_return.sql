WITH agg_sdr_deals_closed_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(sdr_deals.closed_at, QUARTER) AS DATE) AS period,
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
  WHERE
    NOT sdr_deals.closed_at IS NULL AND sdr_deals.stage = 'won'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(sdr_deals.closed_at, QUARTER) AS DATE)
), agg_rep_compensation_month_start AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(rep_compensation.month_start, QUARTER) AS DATE) AS period,
    SUM(rep_compensation.loaded_cost) AS sdr_cost__num
  FROM rep_compensation AS rep_compensation
  WHERE
    NOT rep_compensation.month_start IS NULL AND rep_compensation.role = 'SDR'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(rep_compensation.month_start, QUARTER) AS DATE)
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
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_rep_compensation_month_start
    UNION ALL
    SELECT
      CAST(TIMESTAMP_TRUNC(MIN(sdr_deals.closed_at), QUARTER) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(sdr_deals.closed_at), QUARTER) AS DATE) AS hi
    FROM (
      SELECT
        o.*,
        s.sdr_employee_id,
        s.sourced_at
      FROM opportunities AS o
      JOIN opportunity_sourcing AS s
        ON s.opportunity_id = o.opportunity_id
    ) AS sdr_deals
    UNION ALL
    SELECT
      CAST(TIMESTAMP_TRUNC(MIN(rep_compensation.month_start), QUARTER) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(rep_compensation.month_start), QUARTER) AS DATE) AS hi
    FROM rep_compensation AS rep_compensation
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
    INTERVAL '3' MONTH
  )) AS period
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_sdr_deals_closed_at.sdr_sourced_revenue__num, 0)
  ) AS FLOAT64) / NULLIF((
    COALESCE(agg_rep_compensation_month_start.sdr_cost__num, 0)
  ), 0) AS sdr_return
FROM spine
LEFT JOIN agg_sdr_deals_closed_at
  ON agg_sdr_deals_closed_at.period = spine.period
LEFT JOIN agg_rep_compensation_month_start
  ON agg_rep_compensation_month_start.period = spine.period
ORDER BY
  spine.period
