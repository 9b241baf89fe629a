WITH agg_outreach_touches_occurred_at AS (
  SELECT
    CAST(DATE_TRUNC('MONTH', outreach_touches.occurred_at) AS DATE) AS period,
    outreach_touches.activity_type AS touch_type,
    COUNT(CASE WHEN NOT outreach_touches.first_replied_at IS NULL THEN 1 END) AS reply_rate__num,
    COUNT(*) AS reply_rate__den
  FROM (
    SELECT
      a.activity_id AS activity_id,
      a.rep_id,
      a.lead_id,
      a.activity_type,
      a.occurred_at,
      r.first_replied_at
    FROM activities AS a
    LEFT JOIN (
      SELECT
        activity_id,
        MIN(replied_at) AS first_replied_at
      FROM replies AS replies
      GROUP BY
        activity_id
    ) AS r
      ON r.activity_id = a.activity_id
    WHERE
      NOT a.lead_id IS NULL AND a.activity_type IN ('call', 'email')
  ) AS outreach_touches
  WHERE
    NOT outreach_touches.occurred_at IS NULL
  GROUP BY
    CAST(DATE_TRUNC('MONTH', outreach_touches.occurred_at) AS DATE),
    outreach_touches.activity_type
), bounds AS (
  SELECT
    MIN(period) AS lo,
    MAX(period) AS hi
  FROM agg_outreach_touches_occurred_at
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
    FROM agg_outreach_touches_occurred_at
  ) AS dims
)
SELECT
  grid.period AS period,
  grid.touch_type AS touch_type,
  CASE
    WHEN COALESCE(agg_outreach_touches_occurred_at.reply_rate__den, 0) >= 20
    THEN CAST(COALESCE(agg_outreach_touches_occurred_at.reply_rate__num, 0) AS DOUBLE PRECISION) / NULLIF(COALESCE(agg_outreach_touches_occurred_at.reply_rate__den, 0), 0)
  END AS reply_rate
FROM grid
LEFT JOIN agg_outreach_touches_occurred_at
  ON agg_outreach_touches_occurred_at.period = grid.period
  AND (
    COALESCE(CAST(agg_outreach_touches_occurred_at.touch_type AS VARCHAR(MAX)), '') = COALESCE(CAST(grid.touch_type AS VARCHAR(MAX)), '')
    AND (
      agg_outreach_touches_occurred_at.touch_type IS NULL
    ) = (
      grid.touch_type IS NULL
    )
  )
ORDER BY
  grid.period,
  grid.touch_type
