WITH agg_customer_journeys_first_purchase_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', customer_journeys.first_purchase_at) AS DATE) AS period,
    accounts.segment AS segment,
    AVG(
      DATE_DIFF(
        'DAY',
        CAST(customer_journeys.first_touch_at AS DATE),
        CAST(customer_journeys.first_purchase_at AS DATE)
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
    CAST(DATE_TRUNC('MONTH', customer_journeys.first_purchase_at) AS DATE),
    accounts.segment
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_customer_journeys_first_purchase_at
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
    CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATE_DIFF('DAY', bounds.lo, bounds.hi)
    AND CAST(DATE_ADD('MONTH', CAST(d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000 AS BIGINT), bounds.lo) AS DATE) <= bounds.hi
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
