WITH agg_customer_journeys_first_purchase_at AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(customer_journeys.first_purchase_at, MONTH) AS DATE) AS period,
    accounts.segment AS segment,
    AVG(
      DATE_DIFF(
        CAST(customer_journeys.first_purchase_at AS DATE),
        CAST(customer_journeys.first_touch_at AS DATE),
        DAY
      )
    ) AS customer_lifecycle_days__num
  FROM (
    SELECT
      w.account_id AS account_id,
      w.first_purchase_at,
      MIN(a.occurred_at) AS first_touch_at
    FROM (
      SELECT
        account_id,
        MIN(closed_at) AS first_purchase_at
      FROM opportunities AS opportunities
      WHERE
        stage = 'won'
      GROUP BY
        account_id
    ) AS w
    JOIN opportunities AS o
      ON o.account_id = w.account_id
    JOIN deal_touches AS d
      ON d.opportunity_id = o.opportunity_id
    JOIN activities AS a
      ON a.activity_id = d.activity_id AND a.occurred_at <= w.first_purchase_at
    GROUP BY
      w.account_id,
      w.first_purchase_at
  ) AS customer_journeys
  LEFT JOIN accounts AS accounts
    ON customer_journeys.account_id = accounts.account_id
  WHERE
    NOT customer_journeys.first_purchase_at IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(customer_journeys.first_purchase_at, MONTH) AS DATE),
    accounts.segment
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_customer_journeys_first_purchase_at
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
    dims.segment AS segment
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      segment
    FROM agg_customer_journeys_first_purchase_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.segment AS segment,
  agg_customer_journeys_first_purchase_at.customer_lifecycle_days__num AS customer_lifecycle_days
FROM grid
LEFT JOIN agg_customer_journeys_first_purchase_at
  ON agg_customer_journeys_first_purchase_at.period = grid.period
  AND agg_customer_journeys_first_purchase_at.segment IS NOT DISTINCT FROM grid.segment
ORDER BY
  grid.period,
  grid.segment
