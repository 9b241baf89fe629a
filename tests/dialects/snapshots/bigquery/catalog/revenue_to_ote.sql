WITH agg_opportunities_closed_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(opportunities.closed_at, MONTH) AS DATE) AS period,
    SUM(opportunities.amount) AS won_revenue__num
  FROM opportunities AS opportunities
  WHERE
    NOT opportunities.closed_at IS NULL AND opportunities.stage = 'won'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(opportunities.closed_at, MONTH) AS DATE)
), agg_rep_compensation_month_start AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(rep_compensation.month_start, MONTH) AS DATE) AS period,
    SUM(rep_compensation.ote) AS ae_ote__num
  FROM rep_compensation AS rep_compensation
  WHERE
    NOT rep_compensation.month_start IS NULL AND rep_compensation.role = 'AE'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(rep_compensation.month_start, MONTH) AS DATE)
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_opportunities_closed_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_rep_compensation_month_start
    UNION ALL
    SELECT
      CAST(TIMESTAMP_TRUNC(MIN(opportunities.closed_at), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(opportunities.closed_at), MONTH) AS DATE) AS hi
    FROM opportunities AS opportunities
    UNION ALL
    SELECT
      CAST(TIMESTAMP_TRUNC(MIN(rep_compensation.month_start), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(rep_compensation.month_start), MONTH) AS DATE) AS hi
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
    INTERVAL '1' MONTH
  )) AS period
)
SELECT
  spine.period AS period,
  CAST((
    COALESCE(agg_opportunities_closed_at.won_revenue__num, 0)
  ) AS FLOAT64) / NULLIF((
    COALESCE(agg_rep_compensation_month_start.ae_ote__num, 0)
  ), 0) AS revenue_to_ote
FROM spine
LEFT JOIN agg_opportunities_closed_at
  ON agg_opportunities_closed_at.period = spine.period
LEFT JOIN agg_rep_compensation_month_start
  ON agg_rep_compensation_month_start.period = spine.period
ORDER BY
  spine.period
