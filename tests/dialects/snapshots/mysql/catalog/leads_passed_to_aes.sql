WITH agg_lead_handoffs_passed_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', lead_handoffs.passed_at)) MONTH
    ) AS DATE) AS period,
    reps.region AS region,
    COUNT(*) AS leads_passed_to_aes__num
  FROM lead_handoffs AS lead_handoffs
  LEFT JOIN reps AS reps
    ON lead_handoffs.sdr_rep_id = reps.rep_id
  WHERE
    NOT lead_handoffs.passed_at IS NULL
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', lead_handoffs.passed_at)) MONTH
    ) AS DATE),
    reps.region
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_lead_handoffs_passed_at
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
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM agg_lead_handoffs_passed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  COALESCE(agg_lead_handoffs_passed_at.leads_passed_to_aes__num, 0) AS leads_passed_to_aes
FROM grid
LEFT JOIN agg_lead_handoffs_passed_at
  ON agg_lead_handoffs_passed_at.period = grid.period
  AND agg_lead_handoffs_passed_at.region <=> grid.region
ORDER BY
  grid.period,
  grid.region
