WITH agg_sales_orders_ordered_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', sales_orders.ordered_at) AS DATE) AS period,
    locations.location_name AS location,
    SUM(sales_orders.revenue) AS order_revenue__num
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
  COALESCE(agg_sales_orders_ordered_at.order_revenue__num, 0) AS order_revenue
FROM grid
LEFT JOIN agg_sales_orders_ordered_at
  ON agg_sales_orders_ordered_at.period = grid.period
  AND (
    COALESCE(CAST(agg_sales_orders_ordered_at.location AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.location AS VARCHAR(MAX)), '')
    AND (
      agg_sales_orders_ordered_at.location IS NULL
    ) = (
      grid.location IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.location
