WITH agg_leads_created_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(leads.created_at, MONTH) AS DATE) AS period,
    reps.region AS region,
    AVG(
      (
        (
          (
            DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3 - (
              MOD(
                DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3,
                7
              )
            )
          ) / 7 * 144000 + (
            CASE
              WHEN (
                MOD(
                  DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3,
                  7
                )
              ) < 5
              THEN (
                MOD(
                  DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3,
                  7
                )
              )
              ELSE 5
            END
          ) * 28800 + CASE
            WHEN (
              MOD(
                DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3,
                7
              )
            ) >= 5
            THEN 0
            WHEN (
              UNIX_SECONDS(CAST(leads.first_response_at AS DATETIME)) - 86400 * DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY)
            ) <= 32400
            THEN 0
            WHEN (
              UNIX_SECONDS(CAST(leads.first_response_at AS DATETIME)) - 86400 * DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY)
            ) >= 61200
            THEN 28800
            ELSE (
              UNIX_SECONDS(CAST(leads.first_response_at AS DATETIME)) - 86400 * DATE_DIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE), DAY)
            ) - 32400
          END
        ) - (
          (
            DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3 - (
              MOD(DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3, 7)
            )
          ) / 7 * 144000 + (
            CASE
              WHEN (
                MOD(DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3, 7)
              ) < 5
              THEN (
                MOD(DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3, 7)
              )
              ELSE 5
            END
          ) * 28800 + CASE
            WHEN (
              MOD(DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY) + 3, 7)
            ) >= 5
            THEN 0
            WHEN (
              UNIX_SECONDS(CAST(leads.created_at AS DATETIME)) - 86400 * DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY)
            ) <= 32400
            THEN 0
            WHEN (
              UNIX_SECONDS(CAST(leads.created_at AS DATETIME)) - 86400 * DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY)
            ) >= 61200
            THEN 28800
            ELSE (
              UNIX_SECONDS(CAST(leads.created_at AS DATETIME)) - 86400 * DATE_DIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE), DAY)
            ) - 32400
          END
        )
      ) / 3600.0
    ) AS inbound_response_business_hours__num
  FROM leads AS leads
  LEFT JOIN reps AS reps
    ON leads.owner_rep_id = reps.rep_id
  WHERE
    NOT leads.created_at IS NULL
    AND NOT leads.first_response_at IS NULL
    AND leads.lead_source = 'inbound'
  GROUP BY
    CAST(TIMESTAMP_TRUNC(leads.created_at, MONTH) AS DATE),
    reps.region
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_leads_created_at
    UNION ALL
    SELECT
      CAST(TIMESTAMP_TRUNC(MIN(leads.created_at), MONTH) AS DATE) AS lo,
      CAST(TIMESTAMP_TRUNC(MAX(leads.created_at), MONTH) AS DATE) AS hi
    FROM leads AS leads
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
    dims.region AS region
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      region
    FROM agg_leads_created_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.region AS region,
  agg_leads_created_at.inbound_response_business_hours__num AS inbound_response_business_hours
FROM grid
LEFT JOIN agg_leads_created_at
  ON agg_leads_created_at.period = grid.period
  AND agg_leads_created_at.region IS NOT DISTINCT FROM grid.region
ORDER BY
  grid.period,
  grid.region
