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
    AVG(competitor_prices.list_price) AS competitor_list_price__num
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
