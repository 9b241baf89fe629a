WITH agg_leads_created_at AS (
  SELECT
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', leads.created_at)) MONTH
    ) AS DATE) AS period,
    reps.region AS region,
    AVG(
      CAST((
        (
          (
            DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE)) + 3 - (
              (
                DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
              ) % 7
            )
          ) / 7 * 144000 + (
            CASE
              WHEN (
                (
                  DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
                ) % 7
              ) < 5
              THEN (
                (
                  DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
                ) % 7
              )
              ELSE 5
            END
          ) * 28800 + CASE
            WHEN (
              (
                DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
              ) % 7
            ) >= 5
            THEN 0
            WHEN (
              TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', leads.first_response_at) - 86400 * DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE))
            ) <= 32400
            THEN 0
            WHEN (
              TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', leads.first_response_at) - 86400 * DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE))
            ) >= 61200
            THEN 28800
            ELSE (
              TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', leads.first_response_at) - 86400 * DATEDIFF(CAST(leads.first_response_at AS DATE), CAST('1970-01-01' AS DATE))
            ) - 32400
          END
        ) - (
          (
            DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE)) + 3 - (
              (
                DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
              ) % 7
            )
          ) / 7 * 144000 + (
            CASE
              WHEN (
                (
                  DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
                ) % 7
              ) < 5
              THEN (
                (
                  DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
                ) % 7
              )
              ELSE 5
            END
          ) * 28800 + CASE
            WHEN (
              (
                DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE)) + 3
              ) % 7
            ) >= 5
            THEN 0
            WHEN (
              TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', leads.created_at) - 86400 * DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE))
            ) <= 32400
            THEN 0
            WHEN (
              TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', leads.created_at) - 86400 * DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE))
            ) >= 61200
            THEN 28800
            ELSE (
              TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', leads.created_at) - 86400 * DATEDIFF(CAST(leads.created_at AS DATE), CAST('1970-01-01' AS DATE))
            ) - 32400
          END
        )
      ) / 3600.0 AS DOUBLE)
    ) AS inbound_response_business_hours__num
  FROM leads AS leads
  LEFT JOIN reps AS reps
    ON leads.owner_rep_id = reps.rep_id
  WHERE
    NOT leads.created_at IS NULL
    AND NOT leads.first_response_at IS NULL
    AND leads.lead_source = 'inbound'
  GROUP BY
    CAST(DATE_ADD(
      '0000-01-01 00:00:00',
      INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', leads.created_at)) MONTH
    ) AS DATE),
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
      CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', MIN(leads.created_at))) MONTH
      ) AS DATE) AS lo,
      CAST(DATE_ADD(
        '0000-01-01 00:00:00',
        INTERVAL (TIMESTAMPDIFF(MONTH, '0000-01-01 00:00:00', MAX(leads.created_at))) MONTH
      ) AS DATE) AS hi
    FROM leads AS leads
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
  AND agg_leads_created_at.region <=> grid.region
ORDER BY
  grid.period,
  grid.region
