WITH agg_competitor_prices_price_date AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', competitor_prices.price_date) AS DATE) AS period,
    competitor_prices.product AS product,
    AVG(competitor_prices.list_price) AS competitor_list_price__num
  FROM competitor_prices AS competitor_prices
  WHERE
    NOT competitor_prices.price_date IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', competitor_prices.price_date) AS DATE),
    competitor_prices.product
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_competitor_prices_price_date
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
    dims.product AS product
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      product
    FROM agg_competitor_prices_price_date
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.product AS product,
  agg_competitor_prices_price_date.competitor_list_price__num AS competitor_list_price
FROM grid
LEFT JOIN agg_competitor_prices_price_date
  ON agg_competitor_prices_price_date.period = grid.period
  AND agg_competitor_prices_price_date.product IS NOT DISTINCT FROM grid.product
ORDER BY
  grid.period,
  grid.product
