WITH agg_nps_responses_responded_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', nps_responses.responded_at) AS DATE) AS period,
    COUNT(CASE WHEN nps_responses.score >= 9 THEN 1 END) AS nps_promoters__num,
    COUNT(*) AS nps_promoters__den,
    COUNT(CASE WHEN nps_responses.score <= 6 THEN 1 END) AS nps_detractors__num,
    COUNT(*) AS nps_detractors__den
  FROM nps_responses AS nps_responses
  WHERE
    NOT nps_responses.responded_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', nps_responses.responded_at) AS DATE)
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_nps_responses_responded_at
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
)
SELECT
  spine.period AS period,
  100 * (
    (
      CAST(COALESCE(agg_nps_responses_responded_at.nps_promoters__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_nps_responses_responded_at.nps_promoters__den, 0), 0)
    ) - (
      CAST(COALESCE(agg_nps_responses_responded_at.nps_detractors__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_nps_responses_responded_at.nps_detractors__den, 0), 0)
    )
  ) AS nps
FROM spine
LEFT JOIN agg_nps_responses_responded_at
  ON agg_nps_responses_responded_at.period = spine.period
ORDER BY
  spine.period
