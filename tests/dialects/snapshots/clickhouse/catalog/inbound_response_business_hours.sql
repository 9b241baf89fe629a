WITH agg_leads_created_at AS (
  SELECT
    CAST(dateTrunc('MONTH', leads.created_at) AS Nullable(DATE)) AS period,
    reps.region AS region,
    AVG(
      (
        (
          (
            DATE_DIFF(
              DAY,
              CAST('1970-01-01' AS Nullable(DATE)),
              CAST(leads.first_response_at AS Nullable(DATE))
            ) + 3 - (
              (
                DATE_DIFF(
                  DAY,
                  CAST('1970-01-01' AS Nullable(DATE)),
                  CAST(leads.first_response_at AS Nullable(DATE))
                ) + 3
              ) % 7
            )
          ) / 7 * 144000 + (
            CASE
              WHEN (
                (
                  DATE_DIFF(
                    DAY,
                    CAST('1970-01-01' AS Nullable(DATE)),
                    CAST(leads.first_response_at AS Nullable(DATE))
                  ) + 3
                ) % 7
              ) < 5
              THEN (
                (
                  DATE_DIFF(
                    DAY,
                    CAST('1970-01-01' AS Nullable(DATE)),
                    CAST(leads.first_response_at AS Nullable(DATE))
                  ) + 3
                ) % 7
              )
              ELSE 5
            END
          ) * 28800 + CASE
            WHEN (
              (
                DATE_DIFF(
                  DAY,
                  CAST('1970-01-01' AS Nullable(DATE)),
                  CAST(leads.first_response_at AS Nullable(DATE))
                ) + 3
              ) % 7
            ) >= 5
            THEN 0
            WHEN (
              toUnixTimestamp(leads.first_response_at) - 86400 * DATE_DIFF(
                DAY,
                CAST('1970-01-01' AS Nullable(DATE)),
                CAST(leads.first_response_at AS Nullable(DATE))
              )
            ) <= 32400
            THEN 0
            WHEN (
              toUnixTimestamp(leads.first_response_at) - 86400 * DATE_DIFF(
                DAY,
                CAST('1970-01-01' AS Nullable(DATE)),
                CAST(leads.first_response_at AS Nullable(DATE))
              )
            ) >= 61200
            THEN 28800
            ELSE (
              toUnixTimestamp(leads.first_response_at) - 86400 * DATE_DIFF(
                DAY,
                CAST('1970-01-01' AS Nullable(DATE)),
                CAST(leads.first_response_at AS Nullable(DATE))
              )
            ) - 32400
          END
        ) - (
          (
            DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE))) + 3 - (
              (
                DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE))) + 3
              ) % 7
            )
          ) / 7 * 144000 + (
            CASE
              WHEN (
                (
                  DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE))) + 3
                ) % 7
              ) < 5
              THEN (
                (
                  DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE))) + 3
                ) % 7
              )
              ELSE 5
            END
          ) * 28800 + CASE
            WHEN (
              (
                DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE))) + 3
              ) % 7
            ) >= 5
            THEN 0
            WHEN (
              toUnixTimestamp(leads.created_at) - 86400 * DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE)))
            ) <= 32400
            THEN 0
            WHEN (
              toUnixTimestamp(leads.created_at) - 86400 * DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE)))
            ) >= 61200
            THEN 28800
            ELSE (
              toUnixTimestamp(leads.created_at) - 86400 * DATE_DIFF(DAY, CAST('1970-01-01' AS Nullable(DATE)), CAST(leads.created_at AS Nullable(DATE)))
            ) - 32400
          END
        )
      ) / 3600.0
    ) AS inbound_response_business_hours__num
  FROM leads AS leads
  LEFT JOIN reps AS reps
    ON leads.owner_rep_id = reps.rep_id
  WHERE
    NOT (
      leads.created_at IS NULL
    )
    AND NOT (
      leads.first_response_at IS NULL
    )
    AND leads.lead_source = 'inbound'
  GROUP BY
    CAST(dateTrunc('MONTH', leads.created_at) AS Nullable(DATE)),
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
      CAST(dateTrunc('MONTH', MIN(leads.created_at)) AS Nullable(DATE)) AS lo,
      CAST(dateTrunc('MONTH', MAX(leads.created_at)) AS Nullable(DATE)) AS hi
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
    CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATE_ADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS Nullable(DATE)) <= bounds.hi
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
