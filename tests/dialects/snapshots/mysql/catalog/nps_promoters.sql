WITH agg_nps_responses_responded_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', nps_responses.responded_at)) MONTH
    ) AS DATE) AS period,
    accounts.segment AS segment,
    COUNT(CASE WHEN nps_responses.score >= 9 THEN 1 END) AS nps_promoters__num,
    COUNT(*) AS nps_promoters__den
  FROM nps_responses AS nps_responses
  LEFT JOIN accounts AS accounts
    ON nps_responses.account_id = accounts.account_id
  WHERE
    NOT nps_responses.responded_at IS NULL
    AND nps_responses.responded_at >= CAST('2024-01-01' AS DATE)
    AND nps_responses.responded_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', nps_responses.responded_at)) MONTH
    ) AS DATE),
    accounts.segment
), spine AS (
  SELECT
    period
  FROM (
    SELECT
      CAST('2024-01-01' AS DATE) AS period
    UNION ALL
    SELECT
      CAST('2024-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2024-12-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-01-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-02-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-03-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-04-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-05-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-06-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-07-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-08-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-09-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-10-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-11-01' AS DATE)
    UNION ALL
    SELECT
      CAST('2025-12-01' AS DATE)
  ) AS periods
), grid AS (
  SELECT
    spine.period,
    dims.segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_nps_responses_responded_at
  ) AS dims
)
SELECT
  grid.period,
  grid.segment AS segment,
  CAST(COALESCE(agg_nps_responses_responded_at.nps_promoters__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_nps_responses_responded_at.nps_promoters__den, 0), 0) AS nps_promoters
FROM grid
LEFT JOIN agg_nps_responses_responded_at
  ON agg_nps_responses_responded_at.period = grid.period
  AND agg_nps_responses_responded_at.segment <=> grid.segment
ORDER BY
  grid.period,
  grid.segment
