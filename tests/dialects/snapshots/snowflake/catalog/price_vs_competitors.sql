WITH agg_sales_orders_ordered_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', sales_orders.ordered_at) AS DATE) AS period,
    SUM(sales_orders.revenue) AS average_selling_price__num,
    SUM(sales_orders.units) AS average_selling_price__den
  FROM sales_orders AS sales_orders
  WHERE
    NOT sales_orders.ordered_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', sales_orders.ordered_at) AS DATE)
), agg_competitor_prices_price_date AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', competitor_prices.price_date) AS DATE) AS period,
    AVG(CAST(competitor_prices.list_price AS DOUBLE)) AS competitor_list_price__num
  FROM competitor_prices AS competitor_prices
  WHERE
    NOT competitor_prices.price_date IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', competitor_prices.price_date) AS DATE)
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_sales_orders_ordered_at
    UNION ALL
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_competitor_prices_price_date
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
    CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) AS period
  FROM digits AS d0
  CROSS JOIN digits AS d1
  CROSS JOIN digits AS d2
  CROSS JOIN digits AS d3
  CROSS JOIN bounds
  WHERE
    (
      d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000
    ) * 28 <= DATEDIFF(DAY, bounds.lo, bounds.hi)
    AND CAST(DATEADD(MONTH, d0.d + d1.d * 10 + d2.d * 100 + d3.d * 1000, bounds.lo) AS DATE) <= bounds.hi
)
SELECT
  spine.period AS period,
  CAST((
    CAST(COALESCE(agg_sales_orders_ordered_at.average_selling_price__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_sales_orders_ordered_at.average_selling_price__den, 0), 0)
  ) AS DOUBLE) / NULLIF((
    agg_competitor_prices_price_date.competitor_list_price__num
  ), 0) AS price_vs_competitors
FROM spine
LEFT JOIN agg_sales_orders_ordered_at
  ON agg_sales_orders_ordered_at.period = spine.period
LEFT JOIN agg_competitor_prices_price_date
  ON agg_competitor_prices_price_date.period = spine.period
ORDER BY
  spine.period
