WITH agg_sdr_deals_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', sdr_deals.closed_at) AS DATE) AS period,
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
    CAST(DATE_TRUNC('QUARTER', sdr_deals.closed_at) AS DATE)
), agg_rep_compensation_month_start AS (
  SELECT
    CAST(DATE_TRUNC('QUARTER', rep_compensation.month_start) AS DATE) AS period,
    SUM(rep_compensation.loaded_cost) AS sdr_cost__num
  FROM rep_compensation AS rep_compensation
  WHERE
    NOT rep_compensation.month_start IS NULL AND rep_compensation.role = 'SDR'
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', rep_compensation.month_start) AS DATE)
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
      CAST(DATE_TRUNC('QUARTER', MIN(sdr_deals.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('QUARTER', MAX(sdr_deals.closed_at)) AS DATE) AS hi
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
      CAST(DATE_TRUNC('QUARTER', MIN(rep_compensation.month_start)) AS DATE) AS lo,
      CAST(DATE_TRUNC('QUARTER', MAX(rep_compensation.month_start)) AS DATE) AS hi
    FROM rep_compensation AS rep_compensation
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
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_sdr_deals_closed_at.sdr_sourced_revenue__num, 0)
  ) AS DOUBLE PRECISION) / NULLIF((
    COALESCE(agg_rep_compensation_month_start.sdr_cost__num, 0)
  ), 0) AS sdr_return
FROM spine
LEFT JOIN agg_sdr_deals_closed_at
  ON agg_sdr_deals_closed_at.period = spine.period
LEFT JOIN agg_rep_compensation_month_start
  ON agg_rep_compensation_month_start.period = spine.period
ORDER BY
  spine.period
