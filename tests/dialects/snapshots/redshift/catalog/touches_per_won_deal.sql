WITH agg_closed_deal_touches_closed_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', closed_deal_touches.closed_at) AS DATE) AS period,
    closed_deal_touches.activity_type AS touch_type,
    SUM(closed_deal_touches.touches) AS touches_per_won_deal__num,
    COUNT(DISTINCT closed_deal_touches.opportunity_id) AS touches_per_won_deal__den
  FROM (
    SELECT
      o.opportunity_id AS opportunity_id,
      o.owner_rep_id,
      o.account_id,
      o.stage,
      o.closed_at,
      o.product,
      k.activity_type AS activity_type,
      COUNT(t.activity_id) AS touches
    FROM opportunities AS o
    CROSS JOIN (
      SELECT DISTINCT
        activity_type
      FROM activities AS activities
    ) AS k
    LEFT JOIN (
      SELECT
        d.opportunity_id,
        d.activity_id,
        a.activity_type
      FROM deal_touches AS d
      JOIN activities AS a
        ON a.activity_id = d.activity_id
    ) AS t
      ON t.opportunity_id = o.opportunity_id AND t.activity_type = k.activity_type
    WHERE
      o.stage IN ('won', 'lost')
    GROUP BY
      o.opportunity_id,
      o.owner_rep_id,
      o.account_id,
      o.stage,
      o.closed_at,
      o.product,
      k.activity_type
  ) AS closed_deal_touches
  WHERE
    NOT closed_deal_touches.closed_at IS NULL AND closed_deal_touches.stage = 'won'
  GROUP BY
    CAST(DATE_TRUNC('MONTH', closed_deal_touches.closed_at) AS DATE),
    closed_deal_touches.activity_type
), bounds AS (
  SELECT
    MIN(lo) AS lo,
    MAX(hi) AS hi
  FROM (
    SELECT
      MIN(period) AS lo,
      MAX(period) AS hi
    FROM agg_closed_deal_touches_closed_at
    UNION ALL
    SELECT
      CAST(DATE_TRUNC('MONTH', MIN(closed_deal_touches.closed_at)) AS DATE) AS lo,
      CAST(DATE_TRUNC('MONTH', MAX(closed_deal_touches.closed_at)) AS DATE) AS hi
    FROM (
      SELECT
        o.opportunity_id AS opportunity_id,
        o.owner_rep_id,
        o.account_id,
        o.stage,
        o.closed_at,
        o.product,
        k.activity_type AS activity_type,
        COUNT(t.activity_id) AS touches
      FROM opportunities AS o
      CROSS JOIN (
        SELECT DISTINCT
          activity_type
        FROM activities AS activities
      ) AS k
      LEFT JOIN (
        SELECT
          d.opportunity_id,
          d.activity_id,
          a.activity_type
        FROM deal_touches AS d
        JOIN activities AS a
          ON a.activity_id = d.activity_id
      ) AS t
        ON t.opportunity_id = o.opportunity_id AND t.activity_type = k.activity_type
      WHERE
        o.stage IN ('won', 'lost')
      GROUP BY
        o.opportunity_id,
        o.owner_rep_id,
        o.account_id,
        o.stage,
        o.closed_at,
        o.product,
        k.activity_type
    ) AS closed_deal_touches
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
), grid AS (
  SELECT
    spine.period AS period,
    dims.touch_type AS touch_type
  FROM spine
  CROSS JOIN (
    SELECT DISTINCT
      touch_type
    FROM agg_closed_deal_touches_closed_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.touch_type AS touch_type,
  CAST(COALESCE(agg_closed_deal_touches_closed_at.touches_per_won_deal__num, 0) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_closed_deal_touches_closed_at.touches_per_won_deal__den, 0), 0) AS touches_per_won_deal
FROM grid
LEFT JOIN agg_closed_deal_touches_closed_at
  ON agg_closed_deal_touches_closed_at.period = grid.period
  AND (
    COALESCE(CAST(agg_closed_deal_touches_closed_at.touch_type AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.touch_type AS VARCHAR(MAX)), '')
    AND (
      agg_closed_deal_touches_closed_at.touch_type IS NULL
    ) = (
      grid.touch_type IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.touch_type
