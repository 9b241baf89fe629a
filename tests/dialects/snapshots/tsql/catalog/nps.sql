WITH agg_nps_responses_responded_at AS (
  SELECT
    CAST(DATETRUNC(MONTH, nps_responses.responded_at) AS DATE) AS period,
    COUNT_BIG(CASE WHEN nps_responses.score >= 9 THEN 1 END) AS nps_promoters__num,
    COUNT_BIG(*) AS nps_promoters__den,
    COUNT_BIG(CASE WHEN nps_responses.score <= 6 THEN 1 END) AS nps_detractors__num,
    COUNT_BIG(*) AS nps_detractors__den
  FROM nps_responses AS nps_responses
  WHERE
    NOT nps_responses.responded_at IS NULL
    AND nps_responses.responded_at >= CAST('2024-01-01' AS DATE)
    AND nps_responses.responded_at < CAST('2026-01-01' AS DATE)
  GROUP BY
    CAST(DATETRUNC(MONTH, nps_responses.responded_at) AS DATE)
), spine AS (
  SELECT
    period AS period
  FROM (VALUES
    (CAST('2024-01-01' AS DATE)),
    (CAST('2024-02-01' AS DATE)),
    (CAST('2024-03-01' AS DATE)),
    (CAST('2024-04-01' AS DATE)),
    (CAST('2024-05-01' AS DATE)),
    (CAST('2024-06-01' AS DATE)),
    (CAST('2024-07-01' AS DATE)),
    (CAST('2024-08-01' AS DATE)),
    (CAST('2024-09-01' AS DATE)),
    (CAST('2024-10-01' AS DATE)),
    (CAST('2024-11-01' AS DATE)),
    (CAST('2024-12-01' AS DATE)),
    (CAST('2025-01-01' AS DATE)),
    (CAST('2025-02-01' AS DATE)),
    (CAST('2025-03-01' AS DATE)),
    (CAST('2025-04-01' AS DATE)),
    (CAST('2025-05-01' AS DATE)),
    (CAST('2025-06-01' AS DATE)),
    (CAST('2025-07-01' AS DATE)),
    (CAST('2025-08-01' AS DATE)),
    (CAST('2025-09-01' AS DATE)),
    (CAST('2025-10-01' AS DATE)),
    (CAST('2025-11-01' AS DATE)),
    (CAST('2025-12-01' AS DATE))) AS periods(period)
)
SELECT
  spine.period,
  100 * (
    (
      CAST(COALESCE(agg_nps_responses_responded_at.nps_promoters__num, 0) AS FLOAT) / NULLIF(COALESCE(agg_nps_responses_responded_at.nps_promoters__den, 0), 0)
    ) - (
      CAST(COALESCE(agg_nps_responses_responded_at.nps_detractors__num, 0) AS FLOAT) / NULLIF(COALESCE(agg_nps_responses_responded_at.nps_detractors__den, 0), 0)
    )
  ) AS nps
FROM spine
LEFT JOIN agg_nps_responses_responded_at
  ON agg_nps_responses_responded_at.period = spine.period
ORDER BY
  spine.period
