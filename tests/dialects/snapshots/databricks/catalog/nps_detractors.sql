WITH agg_nps_responses_responded_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', nps_responses.responded_at) AS DATE) AS period,
    accounts.segment AS segment,
    COUNT(CASE WHEN nps_responses.score <= 6 THEN 1 END) AS nps_detractors__num,
    COUNT(*) AS nps_detractors__den
  FROM nps_responses AS nps_responses
  LEFT JOIN accounts AS accounts
    ON nps_responses.account_id = accounts.account_id
  WHERE
    NOT nps_responses.responded_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', nps_responses.responded_at) AS DATE),
    accounts.segment
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
), grid AS (
  SELECT
    spine.period AS period,
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_nps_responses_responded_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.segment AS segment,
  CAST(COALESCE(agg_nps_responses_responded_at.nps_detractors__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_nps_responses_responded_at.nps_detractors__den, 0), 0) AS nps_detractors
FROM grid
LEFT JOIN agg_nps_responses_responded_at
  ON agg_nps_responses_responded_at.period = grid.period
  AND agg_nps_responses_responded_at.segment IS NOT DISTINCT FROM grid.segment
ORDER BY
  grid.period,
  grid.segment
