WITH agg_competitor_prices_price_date AS (
  SELECT
    CAST(TIMESTAMP_TRUNC(competitor_prices.price_date, MONTH) AS DATE) AS period,
    competitor_prices.product AS product,
    AVG(competitor_prices.list_price) AS competitor_list_price__num
  FROM competitor_prices AS competitor_prices
  WHERE
    NOT competitor_prices.price_date IS NULL
  GROUP BY
    CAST(TIMESTAMP_TRUNC(competitor_prices.price_date, MONTH) AS DATE),
    competitor_prices.product
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_competitor_prices_price_date
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
