WITH agg_sales_orders_ordered_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', sales_orders.ordered_at) AS DATE) AS period,
    locations.location_name AS location,
    SUM(sales_orders.revenue) AS average_selling_price__num,
    SUM(sales_orders.units) AS average_selling_price__den
  FROM sales_orders AS sales_orders
  LEFT JOIN locations AS locations
    ON sales_orders.location_id = locations.location_id
  WHERE
    NOT sales_orders.ordered_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', sales_orders.ordered_at) AS DATE),
    locations.location_name
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_sales_orders_ordered_at
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
    dims.location AS location
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      location
    FROM agg_sales_orders_ordered_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.location AS location,
  CAST(COALESCE(agg_sales_orders_ordered_at.average_selling_price__num, 0) AS DOUBLE) / NULLIF(COALESCE(agg_sales_orders_ordered_at.average_selling_price__den, 0), 0) AS average_selling_price
FROM grid
LEFT JOIN agg_sales_orders_ordered_at
  ON agg_sales_orders_ordered_at.period = grid.period
  AND agg_sales_orders_ordered_at.location IS NOT DISTINCT FROM grid.location
ORDER BY
  grid.period,
  grid.location
