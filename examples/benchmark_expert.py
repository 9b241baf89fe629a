"""(b) for examples/benchmark.py written independently: the catalog as a DuckDB expert would
write it from the definitions alone (metrics/*.yml, sources.yml, project.yml, macros), without
looking at the engine's SQL. Every variant is one SELECT returning ``period`` [, ``region``]
and one column per metric, in the order of ``project.runnable`` (checked equal to the engine's
rows within 1e-9 on examples/data, /tmp/bench1m and /tmp/bench10m, whole catalog and by region).

    expert(by_region, variant=None) -> str          # default: FASTEST
    VARIANTS = {"rows": ..., "preagg": ..., "tuned": ...}

Shared by all: one scan per (table, time column), grouped by an integer month key
``year*12+month-1`` (DuckDB compresses it to a byte and uses a perfect-hash aggregate); a spine
from the first to the last month any scan found (x every region those scans saw); counts and
sums coalesced to 0, averages/medians left NULL in empty months; ratios divide after
aggregation with NULLIF; win rates need 5 closed deals (also on the trailing 3-month sums);
balances (open pipeline, MRR, active subscriptions) are running sums of opened - closed per
month, "at start" is the same sum up to the previous month; growth/YoY are LAG 1/12 over the
spine, YTD/QTD are running sums partitioned by year/quarter; the per-rep median runs over every
rep with any opportunity (0 without wins); region is the owning rep's (LEFT JOIN reps).

rows    conditional aggregation straight from the rows to (month[, region]): count_if/FILTER
        per metric, median/quantile_cont/count(distinct) in the same GROUP BY, the region join
        on the rows, "within N days" as ``end >= start AND end <= start + INTERVAL``.
preagg  every big table first grouped by its time key plus the few low-cardinality columns the
        conditions read (activity_type; stage, deal_type; the rep when by region) down to at
        most a few hundred thousand rows, conditions applied to those groups; leads in ONE scan
        grouped by (created day, MQL day): both cohorts are folds of it, and the two medians
        come exactly from day-difference histograms (value at ranks floor((n-1)/2) and n//2)
        instead of median() over rows.
tuned   rows with cheaper per-row expressions: "within N days" on epoch_us integers (interval
        arithmetic was ~2x the cost of the whole condition), day differences as DATE - DATE,
        activities grouped by (month, activity_type) with the flags counted (whole catalog;
        by region the seven count_if on (month, region) were cheaper), closed deals folded
        from (month, stage, deal_type) groups, and the won deals read once (a CTE DuckDB
        materializes) for p90, per-account and per-rep groups.

Measured (wall seconds, median of 5 after a warm-up, variants alternated on one
DuckDBAdapter connection; 2 cores shared with another agent's timings, so absolute numbers
moved 3-4x with its load; compare within one line):

  1M, quiet machine (load ~2), before ``tuned`` existed:
      whole:  engine 0.636  rows 0.510  preagg 0.489           a/b 1.30
      region: engine 0.903  rows 0.725  preagg 0.728           a/b 1.25
  1M, loaded (load ~4.5), final code:
      whole:  engine 2.433  rows 2.052  preagg 2.015  tuned 1.641   a/b 1.48
      region: engine 3.026  rows 2.468  preagg 2.598  tuned 2.361   a/b 1.28
  10M, one run each after one warm-up (load ~4.5; tuned without its by-region activities
  change):
      whole:  engine 12.53  rows  9.62  preagg 10.56  tuned 11.31   a/b 1.30 (vs rows)
      region: engine 26.91  rows 17.14  preagg 22.13  tuned 24.37   a/b 1.57 (vs rows)

``tuned`` was fastest at 1M in every run where all three ran; at 10M single runs under load
put ``rows`` first; the differences between variants (10-25%) are within the noise of one
loaded run, the gap to the engine (1.25-1.6x) is not. Most of the time is Parquet decoding
of the columns the metrics read (activities 5M x 6 columns, leads 3M x 6), which no
formulation avoids; the pre-aggregation wins less than expected because DuckDB's
perfect-hash aggregate on a one-byte month key with count_if is already close to a scan.
"""

from __future__ import annotations

from collections.abc import Callable

# -- the request: every metric `metrics run --grain=month` runs, in the engine's column order ----

ALL_METRICS = [
    "calls_made", "emails_sent", "meetings_scheduled", "follow_ups", "leads_created",
    "lead_conversion_rate", "mql_to_sql_rate", "opportunities_created", "win_rate",
    "nps_promoters", "nps_detractors", "nps", "email_open_rate", "click_through_rate",
    "meeting_attendance_rate", "lead_to_customer_90d", "lead_to_mql_30d", "mql_to_sql_30d",
    "avg_days_lead_to_mql", "median_days_lead_to_mql", "median_days_mql_to_sql",
    "inbound_response_hours", "leads_followed_up_rate", "open_pipeline",
    "open_pipeline_at_start", "open_opportunities", "pipeline_lost", "pipeline_velocity",
    "median_won_revenue_per_rep", "accounts_with_repeat_wins", "deals_won", "won_revenue",
    "revenue_share_by_region", "average_deal_size", "sales_cycle_length", "pipeline_created",
    "p90_deal_size", "upsell_rate", "accounts_won", "mrr", "mrr_at_start", "mrr_reported",
    "net_new_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
    "active_subscriptions", "active_subscriptions_at_start", "subscriptions_cancelled",
    "customer_churn_rate", "revenue_churn_rate", "net_revenue_retention",
    "customer_lifetime_value", "won_revenue_growth", "won_revenue_yoy", "won_revenue_ytd",
    "won_revenue_qtd", "win_rate_trailing_3",
]
# Metrics without a region dimension (nps: accounts; MRR and subscriptions: accounts/products).
NO_REGION = {
    "nps_promoters", "nps_detractors", "nps", "mrr", "mrr_at_start", "mrr_reported",
    "net_new_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr",
    "active_subscriptions", "active_subscriptions_at_start", "subscriptions_cancelled",
    "customer_churn_rate", "revenue_churn_rate", "net_revenue_retention",
    "customer_lifetime_value",
}
ONLY_REGION = {"revenue_share_by_region"}   # a share across regions: needs --by region


def metric_names(by_region: bool) -> list[str]:
    return [m for m in ALL_METRICS
            if (m not in NO_REGION if by_region else m not in ONLY_REGION)]


GROSS_MARGIN = 0.78      # project.yml vars.gross_margin
MIN_CLOSED = 5           # win_rate.min_denominator


def key(col: str) -> str:
    """Months since year 0 as an integer: the month key every scan groups by."""
    return f"(year({col}) * 12 + month({col}) - 1)"


# -- the output: spine, balances, windows and formulas over the month-level CTEs -----------------
#
# Every scan below yields one row per month key ``k`` (and region) with these columns:
#   act:  calls, emails, meetings, follow_ups, opened, clicked, attended
#   lc:   leads by created_at: leads, converted, won90, mql30, responded, days_mql,
#         med_days_mql, inbound_hours
#   lm:   leads by mql_at: mqls, sqls, sql30, med_days_sql
#   oc:   opportunities by created_at: created, created_amt
#   ox:   opportunities by closed_at: closed_all, closed_all_amt, closed, won, won_amt,
#         lost_amt, won_exp, cycle, p90
#   wa:   won deals per account: accounts_won, repeat_accounts
#   nps:  responses, promoters, detractors
#   se:   subscription events: net_mrr, new_mrr, exp_mrr, contr_mrr, churn_mrr
#   ss/sc: subscriptions started / cancelled
#   snap: mrr_reported
# plus ``wr`` (won revenue per month, rep) and ``pop`` (every rep with an opportunity).

FAMILIES_REGION = ["act", "lc", "lm", "oc", "ox", "wa"]
FAMILIES_ALL = FAMILIES_REGION + ["nps", "se", "ss", "sc", "snap"]

SUMS = {  # columns that are counts or sums: 0 in an empty month
    "act": ["calls", "emails", "meetings", "follow_ups", "opened", "clicked", "attended"],
    "lc": ["leads", "converted", "won90", "mql30", "responded"],
    "lm": ["mqls", "sqls", "sql30"],
    "oc": ["created", "created_amt"],
    "ox": ["closed_all", "closed_all_amt", "closed", "won", "won_amt", "lost_amt", "won_exp"],
    "wa": ["accounts_won", "repeat_accounts"],
    "nps": ["responses", "promoters", "detractors"],
    "se": ["net_mrr", "new_mrr", "exp_mrr", "contr_mrr", "churn_mrr"],
    "ss": ["started"],
    "sc": ["cancelled"],
    "snap": ["mrr_reported"],
}
OTHERS = {  # averages, medians, percentiles: empty in an empty month
    "lc": ["days_mql", "med_days_mql", "inbound_hours"],
    "lm": ["med_days_sql"],
    "ox": ["cycle", "p90"],
}


def finish(scans: dict[str, str], by_region: bool) -> str:
    """One SELECT: the scans as CTEs, a spine of months (x regions), then the metrics."""
    fams = FAMILIES_REGION if by_region else FAMILIES_ALL
    rg = ", region" if by_region else ""
    part = "PARTITION BY region " if by_region else ""
    skip = set(FAMILIES_ALL) - set(fams)
    ctes = [f"{name} AS ({sql})" for name, sql in scans.items() if name not in skip]
    keys = " UNION ALL ".join(f"SELECT k FROM {f} WHERE k IS NOT NULL" for f in fams)
    ctes.append(f"bounds AS (SELECT min(k) AS lo, max(k) AS hi FROM ({keys}))")
    if by_region:
        regs = " UNION ".join(f"SELECT region FROM {f} WHERE k IS NOT NULL"
                              for f in ["act", "lc", "lm", "oc", "ox"])
        ctes.append(f"regions AS ({regs})")
        ctes.append("spine AS (SELECT unnest(range(lo, hi + 1)) AS k FROM bounds)")
        ctes.append("grid AS (SELECT k, region FROM spine CROSS JOIN regions)")
    else:
        ctes.append("grid AS (SELECT unnest(range(lo, hi + 1)) AS k FROM bounds)")
    # per-rep median of won revenue: every rep of the population, 0 without wins
    on_r = " AND p.region IS NOT DISTINCT FROM g.region" if by_region else ""
    ctes.append(f"""rep_med AS (
  SELECT g.k{', g.region' if by_region else ''}, median(coalesce(wr.amt, 0)) AS med_rep
  FROM grid g JOIN pop p ON true{on_r}
  LEFT JOIN wr ON wr.k = g.k AND wr.rep_id = p.rep_id
  GROUP BY ALL)""")
    cols, joins = [], []
    for f in fams + ["rep_med"]:
        for c in SUMS.get(f, []):
            cols.append(f"coalesce({f}.{c}, 0) AS {c}")
        for c in OTHERS.get(f, []) + (["med_rep"] if f == "rep_med" else []):
            cols.append(f"{f}.{c}")
        cond = f"{f}.k = grid.k" + (f" AND {f}.region IS NOT DISTINCT FROM grid.region"
                                     if by_region else "")
        joins.append(f"LEFT JOIN {f} ON {cond}")
    ctes.append("g AS (SELECT grid.k" + (", grid.region" if by_region else "") + ",\n  "
                + ",\n  ".join(cols) + "\nFROM grid\n" + "\n".join(joins) + ")")

    def run(expr: str, frame: str = "ROWS UNBOUNDED PRECEDING") -> str:
        return f"sum({expr}) OVER ({part}ORDER BY k {frame})"

    before = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    win = [
        f"{run('created_amt - closed_all_amt')} AS open_amt",
        f"coalesce({run('created_amt - closed_all_amt', before)}, 0) AS open_amt_start",
        f"{run('created - closed_all')} AS open_n",
        f"lag(won_amt) OVER ({part}ORDER BY k) AS won_prev",
        f"lag(won_amt, 12) OVER ({part}ORDER BY k) AS won_prev_year",
        f"sum(won_amt) OVER (PARTITION BY {'region, ' if by_region else ''}k // 12 "
        "ORDER BY k ROWS UNBOUNDED PRECEDING) AS won_ytd",
        f"sum(won_amt) OVER (PARTITION BY {'region, ' if by_region else ''}k // 3 "
        "ORDER BY k ROWS UNBOUNDED PRECEDING) AS won_qtd",
        f"{run('won', 'ROWS 2 PRECEDING')} AS won_3",
        f"{run('closed', 'ROWS 2 PRECEDING')} AS closed_3",
    ]
    if by_region:
        win.append("sum(won_amt) OVER (PARTITION BY k) AS won_all_regions")
    else:
        win += [
            f"{run('net_mrr')} AS mrr",
            f"coalesce({run('net_mrr', before)}, 0) AS mrr_start",
            f"{run('started - cancelled')} AS active",
            f"coalesce({run('started - cancelled', before)}, 0) AS active_start",
        ]
    ctes.append("w AS (SELECT *,\n  " + ",\n  ".join(win) + "\nFROM g)")

    win_rate = f"CASE WHEN closed >= {MIN_CLOSED} THEN won / closed END"
    ads = "won_amt / nullif(won, 0)"
    churn = "cancelled / nullif(active_start, 0)"
    out = {
        "calls_made": "calls", "emails_sent": "emails", "meetings_scheduled": "meetings",
        "follow_ups": "follow_ups", "leads_created": "leads",
        "lead_conversion_rate": "converted / nullif(leads, 0)",
        "mql_to_sql_rate": "sqls / nullif(mqls, 0)",
        "opportunities_created": "created", "win_rate": win_rate,
        "nps_promoters": "promoters / nullif(responses, 0)",
        "nps_detractors": "detractors / nullif(responses, 0)",
        "nps": "100 * (promoters / nullif(responses, 0) - detractors / nullif(responses, 0))",
        "email_open_rate": "opened / nullif(emails, 0)",
        "click_through_rate": "clicked / nullif(emails, 0)",
        "meeting_attendance_rate": "attended / nullif(meetings, 0)",
        "lead_to_customer_90d": "won90 / nullif(leads, 0)",
        "lead_to_mql_30d": "mql30 / nullif(leads, 0)",
        "mql_to_sql_30d": "sql30 / nullif(mqls, 0)",
        "avg_days_lead_to_mql": "days_mql", "median_days_lead_to_mql": "med_days_mql",
        "median_days_mql_to_sql": "med_days_sql", "inbound_response_hours": "inbound_hours",
        "leads_followed_up_rate": "responded / nullif(leads, 0)",
        "open_pipeline": "open_amt", "open_pipeline_at_start": "open_amt_start",
        "open_opportunities": "open_n", "pipeline_lost": "lost_amt",
        "pipeline_velocity": f"created * ({win_rate}) * ({ads}) / nullif(cycle, 0)",
        "median_won_revenue_per_rep": "med_rep",
        "accounts_with_repeat_wins": "repeat_accounts", "deals_won": "won",
        "won_revenue": "won_amt",
        "revenue_share_by_region": "won_amt / nullif(won_all_regions, 0)",
        "average_deal_size": ads, "sales_cycle_length": "cycle",
        "pipeline_created": "created_amt", "p90_deal_size": "p90",
        "upsell_rate": "won_exp / nullif(won, 0)", "accounts_won": "accounts_won",
        "mrr": "mrr", "mrr_at_start": "mrr_start", "mrr_reported": "mrr_reported",
        "net_new_mrr": "net_mrr", "new_mrr": "new_mrr", "expansion_mrr": "exp_mrr",
        "contraction_mrr": "contr_mrr", "churned_mrr": "churn_mrr",
        "active_subscriptions": "active", "active_subscriptions_at_start": "active_start",
        "subscriptions_cancelled": "cancelled", "customer_churn_rate": churn,
        "revenue_churn_rate": "(churn_mrr + contr_mrr) / nullif(mrr_start, 0)",
        "net_revenue_retention": "(mrr_start + exp_mrr - contr_mrr - churn_mrr) / nullif(mrr_start, 0)",
        "customer_lifetime_value":
            f"(mrr / nullif(active, 0)) * {GROSS_MARGIN} / nullif({churn}, 0)",
        "won_revenue_growth": "(won_amt - won_prev) / nullif(won_prev, 0)",
        "won_revenue_yoy": "(won_amt - won_prev_year) / nullif(won_prev_year, 0)",
        "won_revenue_ytd": "won_ytd", "won_revenue_qtd": "won_qtd",
        "win_rate_trailing_3": f"CASE WHEN closed_3 >= {MIN_CLOSED} THEN won_3 / closed_3 END",
    }
    select = ",\n  ".join(f"{out[m]} AS {m}" for m in metric_names(by_region))
    return ("WITH " + ",\n".join(ctes)
            + "\nSELECT make_date(CAST(k // 12 AS INTEGER), CAST(k % 12 + 1 AS INTEGER), 1) AS period"
            + rg + ",\n  " + select + "\nFROM w ORDER BY k" + rg)


# -- the scans ------------------------------------------------------------------------------------

def _region(alias: str, col: str, by_region: bool) -> tuple[str, str]:
    """(select item, join) for the region of the rep in ``alias.col``."""
    if not by_region:
        return "", ""
    return ", r.region AS region", f" LEFT JOIN reps r ON r.rep_id = {alias}.{col}"


def scans_rows(by_region: bool) -> dict[str, str]:
    """Variant ``rows``: conditional aggregation straight from the rows to (month, region)."""
    out: dict[str, str] = {}
    sel, join = _region("a", "rep_id", by_region)
    out["act"] = f"""
  SELECT {key('a.occurred_at')} AS k{sel},
    count_if(a.activity_type = 'call') AS calls,
    count_if(a.activity_type = 'email') AS emails,
    count_if(a.activity_type = 'meeting') AS meetings,
    count_if(a.is_follow_up) AS follow_ups,
    count_if(a.activity_type = 'email' AND a.email_opened) AS opened,
    count_if(a.activity_type = 'email' AND a.email_clicked) AS clicked,
    count_if(a.activity_type = 'meeting' AND a.meeting_attended) AS attended
  FROM activities a{join} GROUP BY ALL"""
    sel, join = _region("l", "owner_rep_id", by_region)
    out["lc"] = f"""
  SELECT {key('l.created_at')} AS k{sel},
    count(*) AS leads,
    count(l.converted_at) AS converted,
    count_if(l.converted_at >= l.created_at
             AND l.converted_at <= l.created_at + INTERVAL 90 DAY) AS won90,
    count_if(l.mql_at >= l.created_at AND l.mql_at <= l.created_at + INTERVAL 30 DAY) AS mql30,
    count(l.first_response_at) AS responded,
    avg(date_diff('day', CAST(l.created_at AS DATE), CAST(l.mql_at AS DATE))) AS days_mql,
    median(date_diff('day', CAST(l.created_at AS DATE), CAST(l.mql_at AS DATE))) AS med_days_mql,
    avg(epoch(l.first_response_at) - epoch(l.created_at))
      FILTER (WHERE l.lead_source = 'inbound') / 3600 AS inbound_hours
  FROM leads l{join} GROUP BY ALL"""
    out["lm"] = f"""
  SELECT {key('l.mql_at')} AS k{sel},
    count(*) AS mqls,
    count(l.sql_at) AS sqls,
    count_if(l.sql_at >= l.mql_at AND l.sql_at <= l.mql_at + INTERVAL 30 DAY) AS sql30,
    median(date_diff('day', CAST(l.mql_at AS DATE), CAST(l.sql_at AS DATE))) AS med_days_sql
  FROM leads l{join} WHERE l.mql_at IS NOT NULL GROUP BY ALL"""
    sel, join = _region("o", "owner_rep_id", by_region)
    out["oc"] = f"""
  SELECT {key('o.created_at')} AS k{sel}, count(*) AS created, sum(o.amount) AS created_amt
  FROM opportunities o{join} GROUP BY ALL"""
    out["ox"] = f"""
  SELECT {key('o.closed_at')} AS k{sel},
    count(*) AS closed_all, sum(o.amount) AS closed_all_amt,
    count_if(o.stage IN ('won', 'lost')) AS closed,
    count_if(o.stage = 'won') AS won,
    sum(o.amount) FILTER (WHERE o.stage = 'won') AS won_amt,
    sum(o.amount) FILTER (WHERE o.stage = 'lost') AS lost_amt,
    count_if(o.stage = 'won' AND o.deal_type = 'expansion') AS won_exp,
    avg(date_diff('day', CAST(o.created_at AS DATE), CAST(o.closed_at AS DATE)))
      FILTER (WHERE o.stage = 'won') AS cycle,
    quantile_cont(o.amount, 0.9) FILTER (WHERE o.stage = 'won') AS p90
  FROM opportunities o{join} WHERE o.closed_at IS NOT NULL GROUP BY ALL"""
    out["wa"] = f"""
  SELECT k{', region' if by_region else ''}, count(account_id) AS accounts_won,
    count(account_id) FILTER (WHERE n > 1) AS repeat_accounts
  FROM (SELECT {key('o.closed_at')} AS k{sel}, o.account_id, count(*) AS n
        FROM opportunities o{join} WHERE o.stage = 'won' AND o.closed_at IS NOT NULL
        GROUP BY ALL) GROUP BY ALL"""
    out.update(common_scans(by_region))
    return out


def common_scans(by_region: bool) -> dict[str, str]:
    """Small tables (and the per-rep scan), the same in every variant."""
    out: dict[str, str] = {}
    out["wr"] = f"""
  SELECT {key('closed_at')} AS k, owner_rep_id AS rep_id, sum(amount) AS amt
  FROM opportunities WHERE stage = 'won' AND closed_at IS NOT NULL GROUP BY ALL"""
    if by_region:
        out["pop"] = """
  SELECT p.rep_id, r.region FROM (SELECT DISTINCT owner_rep_id AS rep_id FROM opportunities
                                  WHERE owner_rep_id IS NOT NULL) p
  LEFT JOIN reps r ON r.rep_id = p.rep_id"""
    else:
        out["pop"] = """
  SELECT DISTINCT owner_rep_id AS rep_id FROM opportunities WHERE owner_rep_id IS NOT NULL"""
    out["nps"] = f"""
  SELECT {key('responded_at')} AS k, count(*) AS responses,
    count_if(score >= 9) AS promoters, count_if(score <= 6) AS detractors
  FROM nps_responses GROUP BY ALL"""
    out["se"] = f"""
  SELECT {key('event_at')} AS k, sum(mrr_delta) AS net_mrr,
    sum(mrr_delta) FILTER (WHERE event_type = 'new') AS new_mrr,
    sum(mrr_delta) FILTER (WHERE event_type = 'expansion') AS exp_mrr,
    sum(-mrr_delta) FILTER (WHERE event_type = 'contraction') AS contr_mrr,
    sum(-mrr_delta) FILTER (WHERE event_type = 'churn') AS churn_mrr
  FROM subscription_events GROUP BY ALL"""
    out["ss"] = f"""
  SELECT {key('started_at')} AS k, count(*) AS started FROM subscriptions GROUP BY ALL"""
    out["sc"] = f"""
  SELECT {key('cancelled_at')} AS k, count(*) AS cancelled FROM subscriptions
  WHERE cancelled_at IS NOT NULL GROUP BY ALL"""
    out["snap"] = f"""
  SELECT {key('d')} AS k, arg_max(total, d) AS mrr_reported
  FROM (SELECT snapshot_date AS d, sum(mrr) AS total FROM mrr_snapshots
        WHERE snapshot_date IS NOT NULL GROUP BY ALL) GROUP BY ALL"""
    return out



DAY_US = 86_400_000_000   # microseconds in a day: "within N days" (elapsed) as integer arithmetic


def within(start: str, end: str, days: int) -> str:
    """``end`` at most ``days`` x 24 h after ``start`` (and not before it), on epoch integers."""
    return f"epoch_us({end}) - epoch_us({start}) BETWEEN 0 AND {days * DAY_US}"


def median_from_histogram(hist: str, by_region: bool) -> str:
    """quantile_cont(v, 0.5) per month from a histogram (k[, region], v, n): the mean of the
    values at 0-based ranks floor((n-1)/2) and n//2, exact for integer values."""
    rg = ", region" if by_region else ""
    return f"""
  SELECT k{rg}, (min(v) FILTER (WHERE cum > (tot - 1) // 2)
                + min(v) FILTER (WHERE cum > tot // 2)) / 2.0 AS med
  FROM (SELECT k{rg}, v, sum(n) OVER (PARTITION BY k{rg} ORDER BY v) AS cum,
               sum(n) OVER (PARTITION BY k{rg}) AS tot
        FROM (SELECT k{rg}, v, sum(n) AS n FROM ({hist}) WHERE v IS NOT NULL GROUP BY ALL))
  GROUP BY ALL"""


def scans_preagg(by_region: bool) -> dict[str, str]:
    """Variant ``preagg``: each big table is first grouped by its time key, the low-cardinality
    columns the conditions read (and the rep, when grouping by region) down to at most a few
    hundred thousand rows; the conditions, the region join and the month fold run on those."""
    out: dict[str, str] = {}
    rg = ", region" if by_region else ""
    rep = ", rep_id" if by_region else ""
    orep = ", owner_rep_id AS rep_id" if by_region else ""
    rj = " LEFT JOIN reps r ON r.rep_id = x.rep_id" if by_region else ""
    rsel = ", r.region" if by_region else ""
    out["act"] = f"""
  SELECT k{rsel},
    sum(n) FILTER (WHERE activity_type = 'call') AS calls,
    sum(n) FILTER (WHERE activity_type = 'email') AS emails,
    sum(n) FILTER (WHERE activity_type = 'meeting') AS meetings,
    sum(fu) AS follow_ups,
    sum(op) FILTER (WHERE activity_type = 'email') AS opened,
    sum(cl) FILTER (WHERE activity_type = 'email') AS clicked,
    sum(att) FILTER (WHERE activity_type = 'meeting') AS attended
  FROM (SELECT {key('occurred_at')} AS k{rep}, activity_type, count(*) AS n,
               count_if(is_follow_up) AS fu, count_if(email_opened) AS op,
               count_if(email_clicked) AS cl, count_if(meeting_attended) AS att
        FROM activities GROUP BY ALL) x{rj}
  GROUP BY ALL"""
    # leads: one scan grouped by (created day, MQL day[, region]); the MQL cohort is the fold
    # by the MQL day, the days-to-MQL histogram is MQL day - created day
    lsel, ljoin = _region("l", "owner_rep_id", by_region)
    out["lpre"] = f"""
  SELECT CAST(l.created_at AS DATE) AS cd, CAST(l.mql_at AS DATE) AS md{lsel},
    count(l.created_at) AS n, count(l.converted_at) AS conv,
    count_if({within('l.created_at', 'l.converted_at', 90)}) AS won90,
    count_if({within('l.created_at', 'l.mql_at', 30)}) AS mql30,
    count(l.first_response_at) AS resp,
    sum(epoch(l.first_response_at) - epoch(l.created_at))
      FILTER (WHERE l.lead_source = 'inbound') AS inb_s,
    count(l.first_response_at) FILTER (WHERE l.lead_source = 'inbound') AS inb_n,
    count(*) AS nm, count(l.sql_at) AS sqls,
    count_if({within('l.mql_at', 'l.sql_at', 30)}) AS sql30
  FROM leads l{ljoin} GROUP BY ALL"""
    out["lc"] = f"""
  SELECT c.*, m.med AS med_days_mql FROM (
    SELECT {key('cd')} AS k{rg}, sum(n) AS leads, sum(conv) AS converted, sum(won90) AS won90,
      sum(mql30) AS mql30, sum(resp) AS responded,
      sum((md - cd) * n) FILTER (WHERE md IS NOT NULL)
        / sum(n) FILTER (WHERE md IS NOT NULL) AS days_mql,
      sum(inb_s) / sum(inb_n) / 3600 AS inbound_hours
    FROM lpre WHERE cd IS NOT NULL GROUP BY ALL) c
  LEFT JOIN ({median_from_histogram(f"SELECT {key('cd')} AS k{rg}, md - cd AS v, n FROM lpre", by_region)}) m
    ON m.k = c.k{' AND m.region IS NOT DISTINCT FROM c.region' if by_region else ''}"""
    out["lsql"] = f"""
  SELECT {key('l.mql_at')} AS k{lsel},
    CAST(l.sql_at AS DATE) - CAST(l.mql_at AS DATE) AS v, count(*) AS n
  FROM leads l{ljoin} WHERE l.sql_at IS NOT NULL AND l.mql_at IS NOT NULL GROUP BY ALL"""
    out["lm"] = f"""
  SELECT c.*, m.med AS med_days_sql FROM (
    SELECT {key('md')} AS k{rg}, sum(nm) AS mqls, sum(sqls) AS sqls, sum(sql30) AS sql30
    FROM lpre WHERE md IS NOT NULL GROUP BY ALL) c
  LEFT JOIN ({median_from_histogram("SELECT * FROM lsql", by_region)}) m
    ON m.k = c.k{' AND m.region IS NOT DISTINCT FROM c.region' if by_region else ''}"""
    out["oc"] = f"""
  SELECT k{rsel}, sum(n) AS created, sum(amt) AS created_amt
  FROM (SELECT {key('created_at')} AS k{orep}, count(*) AS n, sum(amount) AS amt
        FROM opportunities GROUP BY ALL) x{rj} GROUP BY ALL"""
    out["opre"] = f"""
  SELECT {key('closed_at')} AS k{orep}, stage, deal_type, count(*) AS n, sum(amount) AS amt,
    sum(CAST(closed_at AS DATE) - CAST(created_at AS DATE)) AS days,
    count(CAST(closed_at AS DATE) - CAST(created_at AS DATE)) AS n_days
  FROM opportunities WHERE closed_at IS NOT NULL GROUP BY ALL"""
    osel, ojoin = _region("o", "owner_rep_id", by_region)
    out["ox"] = f"""
  SELECT c.*, p.p90 FROM (
    SELECT k{rsel}, sum(n) AS closed_all, sum(amt) AS closed_all_amt,
      sum(n) FILTER (WHERE stage IN ('won', 'lost')) AS closed,
      sum(n) FILTER (WHERE stage = 'won') AS won,
      sum(amt) FILTER (WHERE stage = 'won') AS won_amt,
      sum(amt) FILTER (WHERE stage = 'lost') AS lost_amt,
      sum(n) FILTER (WHERE stage = 'won' AND deal_type = 'expansion') AS won_exp,
      sum(days) FILTER (WHERE stage = 'won') / sum(n_days) FILTER (WHERE stage = 'won') AS cycle
    FROM opre x{rj} GROUP BY ALL) c
  LEFT JOIN (SELECT {key('o.closed_at')} AS k{osel}, quantile_cont(o.amount, 0.9) AS p90
             FROM opportunities o{ojoin} WHERE o.stage = 'won' AND o.closed_at IS NOT NULL
             GROUP BY ALL) p
    ON p.k = c.k{' AND p.region IS NOT DISTINCT FROM c.region' if by_region else ''}"""
    rows = scans_rows(by_region)
    out["wa"] = rows["wa"]
    out.update(common_scans(by_region))
    return out


def variant_preagg(by_region: bool) -> str:
    return finish(scans_preagg(by_region), by_region)


def variant_rows(by_region: bool) -> str:
    return finish(scans_rows(by_region), by_region)


def scans_tuned(by_region: bool) -> dict[str, str]:
    """Variant ``tuned``: ``rows`` with cheaper per-row expressions. "Within N days" compares
    epoch microseconds (no interval arithmetic), day differences subtract DATEs, activities
    group by (month, activity_type) and count the flags (no string test per flag), and the
    closed deals fold (stage, deal_type) groups rather than testing stage per aggregate, and
    the won deals are read once for the percentile, the per-account and the per-rep groups."""
    out = scans_rows(by_region)
    rg = ", region" if by_region else ""
    sel, join = _region("a", "rep_id", by_region)
    if not by_region:   # by region the (month, region, type) hash on strings costs more than
        out["act"] = f"""
  SELECT k{rg},
    sum(n) FILTER (WHERE activity_type = 'call') AS calls,
    sum(n) FILTER (WHERE activity_type = 'email') AS emails,
    sum(n) FILTER (WHERE activity_type = 'meeting') AS meetings,
    sum(fu) AS follow_ups,
    sum(op) FILTER (WHERE activity_type = 'email') AS opened,
    sum(cl) FILTER (WHERE activity_type = 'email') AS clicked,
    sum(att) FILTER (WHERE activity_type = 'meeting') AS attended
  FROM (SELECT {key('a.occurred_at')} AS k{sel}, a.activity_type, count(*) AS n,
               count_if(a.is_follow_up) AS fu, count_if(a.email_opened) AS op,
               count_if(a.email_clicked) AS cl, count_if(a.meeting_attended) AS att
        FROM activities a{join} GROUP BY ALL)
  GROUP BY ALL"""      # ... the seven count_if of ``rows`` on a (month, region) group
    sel, join = _region("l", "owner_rep_id", by_region)
    d1 = "CAST(l.mql_at AS DATE) - CAST(l.created_at AS DATE)"
    out["lc"] = f"""
  SELECT {key('l.created_at')} AS k{sel},
    count(*) AS leads,
    count(l.converted_at) AS converted,
    count_if({within('l.created_at', 'l.converted_at', 90)}) AS won90,
    count_if({within('l.created_at', 'l.mql_at', 30)}) AS mql30,
    count(l.first_response_at) AS responded,
    avg({d1}) AS days_mql,
    median({d1}) AS med_days_mql,
    avg(epoch(l.first_response_at) - epoch(l.created_at))
      FILTER (WHERE l.lead_source = 'inbound') / 3600 AS inbound_hours
  FROM leads l{join} GROUP BY ALL"""
    out["lm"] = f"""
  SELECT {key('l.mql_at')} AS k{sel},
    count(*) AS mqls,
    count(l.sql_at) AS sqls,
    count_if({within('l.mql_at', 'l.sql_at', 30)}) AS sql30,
    median(CAST(l.sql_at AS DATE) - CAST(l.mql_at AS DATE)) AS med_days_sql
  FROM leads l{join} WHERE l.mql_at IS NOT NULL GROUP BY ALL"""
    sel, join = _region("o", "owner_rep_id", by_region)
    out["ox"] = f"""
  SELECT c.*, p.p90 FROM (
    SELECT k{rg}, sum(n) AS closed_all, sum(amt) AS closed_all_amt,
      sum(n) FILTER (WHERE stage IN ('won', 'lost')) AS closed,
      sum(n) FILTER (WHERE stage = 'won') AS won,
      sum(amt) FILTER (WHERE stage = 'won') AS won_amt,
      sum(amt) FILTER (WHERE stage = 'lost') AS lost_amt,
      sum(n) FILTER (WHERE stage = 'won' AND deal_type = 'expansion') AS won_exp,
      sum(days) FILTER (WHERE stage = 'won') / sum(n_days) FILTER (WHERE stage = 'won') AS cycle
    FROM (SELECT {key('o.closed_at')} AS k{sel}, o.stage, o.deal_type, count(*) AS n,
                 sum(o.amount) AS amt,
                 sum(CAST(o.closed_at AS DATE) - CAST(o.created_at AS DATE)) AS days,
                 count(o.created_at) AS n_days
          FROM opportunities o{join} WHERE o.closed_at IS NOT NULL GROUP BY ALL)
    GROUP BY ALL) c
  LEFT JOIN (SELECT {key('o.closed_at')} AS k{sel}, quantile_cont(o.amount, 0.9) AS p90
             FROM opportunities o{join} WHERE o.stage = 'won' AND o.closed_at IS NOT NULL
             GROUP BY ALL) p
    ON p.k = c.k{' AND p.region IS NOT DISTINCT FROM c.region' if by_region else ''}"""
    # the won deals are read once, kept, and grouped three ways (p90, per account, per rep)
    won = {"won": f"""
  SELECT {key('o.closed_at')} AS k{sel}, o.owner_rep_id AS rep_id, o.account_id, o.amount
  FROM opportunities o{join} WHERE o.stage = 'won' AND o.closed_at IS NOT NULL"""}
    out = {**won, **out}
    out["ox"] = out["ox"].replace(f"""(SELECT {key('o.closed_at')} AS k{sel}, quantile_cont(o.amount, 0.9) AS p90
             FROM opportunities o{join} WHERE o.stage = 'won' AND o.closed_at IS NOT NULL
             GROUP BY ALL)""", f"(SELECT k{rg}, quantile_cont(amount, 0.9) AS p90 FROM won GROUP BY ALL)")
    out["wa"] = f"""
  SELECT k{rg}, count(account_id) AS accounts_won,
    count(account_id) FILTER (WHERE n > 1) AS repeat_accounts
  FROM (SELECT k{rg}, account_id, count(*) AS n FROM won GROUP BY ALL) GROUP BY ALL"""
    out["wr"] = "SELECT k, rep_id, sum(amount) AS amt FROM won GROUP BY ALL"
    return out


def variant_tuned(by_region: bool) -> str:
    return finish(scans_tuned(by_region), by_region)


VARIANTS: dict[str, Callable[[bool], str]] = {
    "rows": variant_rows,
    "preagg": variant_preagg,
    "tuned": variant_tuned,
}
FASTEST = "tuned"


def expert(by_region: bool, variant: str | None = None) -> str:
    """The catalog at month grain (by the owning rep's region) as one DuckDB SELECT."""
    return VARIANTS[variant or FASTEST](by_region)
