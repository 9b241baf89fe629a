"""Benchmark: the whole KPI catalog on a scaled sample dataset, three ways, in one process.

    python examples/benchmark.py --opportunities 10000000 [--runs 5] [--data DIR]

1. Generates the CRM sample data at the requested scale with ``generate.generate`` (in a child
   process, so its memory is not counted as the queries'), or reuses it from ``--data``.
2. On one DuckDB connection with a view over each Parquet file (as ``adapters/duckdb.py`` does)
   it runs every metric ``metrics run --grain=month`` would run, and again grouped by region
   (the metrics that allow it), three ways:

   (a) the engine's SQL: one SELECT for the whole request;
   (b) hand-written SQL (:func:`handwritten`), written here as fast as we know how to make it
       for DuckDB: one scan per table and time column, conditional aggregation, per-entity
       aggregates from one pre-aggregated scan of the won deals, balances as running sums over
       the spine, comparisons and trailing windows over the aggregated rows;
   (c) one query per metric, the way naive tools do it: each metric compiled alone, run one
       after the other.

   It checks that (a) and (b) (and (c)) give the same rows and numbers (1e-9 relative), and
   prints medians, the min-max spread and the ratios a/b and c/b as a Markdown table.
3. Before any query (so DuckDB's threads do not compete) it times the CLI's start-up against a
   bare ``python -c pass`` and against the floor under it (importing the libraries `metrics
   validate` needs), loading and validating the catalog, compiling it, and validating and
   compiling a generated project of 1,000 metrics over 20 sources
   (``benchmark_project.make_project``); after the queries it reports peak memory.

Not part of the test suite: it takes minutes at 10 million opportunities.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATALOG = ROOT / "metrics"
TOLERANCE = 1e-9


# -- (b) hand-written SQL ----------------------------------------------------------------------

def handwritten(by_region: bool) -> str:
    """The catalog at month grain (grouped by the owning rep's region), written by hand.

    Same semantics as the catalog: a spine from the first to the last month any scan found
    (crossed with every region seen, when grouping), counts and sums of empty months are 0,
    averages and medians stay empty, ratios divide after aggregation and are empty when the
    denominator is 0, win rates need 5 closed deals; balances are running totals of what
    opened less what closed; the per-rep median counts reps without a win as 0.
    Grouped by region, only the metrics that allow region are computed (nps, MRR and
    subscription metrics have no region).
    """
    reg = ", r.region AS region" if by_region else ""
    rep_of = {t: f"LEFT JOIN reps r ON r.rep_id = {t}" if by_region else ""
              for t in ("a.rep_id", "l.owner_rep_id", "o.owner_rep_id", "w.owner_rep_id")}

    def key(col: str) -> str:  # months since year 0: cheaper per row than date_trunc
        return f"year({col}) * 12 + month({col}) - 1"

    def month(col: str) -> str:  # the period's first day, made once per group from the key
        return f"make_date(({key(col)}) // 12, ({key(col)}) % 12 + 1, 1) AS period"

    def group(col: str, *more: str, region: bool = by_region) -> str:
        return "GROUP BY " + ", ".join([key(col), *more] + (["r.region"] if region else []))

    scans = {
        "act": f"""
  SELECT {month('a.occurred_at')}{reg},
    count(CASE WHEN a.activity_type = 'call' THEN 1 END) AS calls,
    count(CASE WHEN a.activity_type = 'email' THEN 1 END) AS emails,
    count(CASE WHEN a.activity_type = 'meeting' THEN 1 END) AS meetings,
    count(CASE WHEN a.is_follow_up THEN 1 END) AS follow_ups,
    count(CASE WHEN a.activity_type = 'email' AND a.email_opened THEN 1 END) AS opened,
    count(CASE WHEN a.activity_type = 'email' AND a.email_clicked THEN 1 END) AS clicked,
    count(CASE WHEN a.activity_type = 'meeting' AND a.meeting_attended THEN 1 END) AS attended
  FROM activities a {rep_of['a.rep_id']}
  WHERE a.occurred_at IS NOT NULL
  {group('a.occurred_at')}""",
        "lead": f"""
  SELECT {month('l.created_at')}{reg},
    count(*) AS leads,
    count(l.converted_at) AS converted,
    count(CASE WHEN l.converted_at <= l.created_at + INTERVAL 90 DAY THEN 1 END) AS won_90d,
    count(CASE WHEN l.mql_at <= l.created_at + INTERVAL 30 DAY THEN 1 END) AS mql_30d,
    avg(date_diff('day', CAST(l.created_at AS DATE), CAST(l.mql_at AS DATE))) AS mql_days,
    median(date_diff('day', CAST(l.created_at AS DATE), CAST(l.mql_at AS DATE)))
      AS mql_days_median,
    avg(CASE WHEN l.lead_source = 'inbound'
        THEN epoch(l.first_response_at) - epoch(l.created_at) END) / 3600 AS response_hours,
    count(l.first_response_at) AS followed_up
  FROM leads l {rep_of['l.owner_rep_id']}
  WHERE l.created_at IS NOT NULL
  {group('l.created_at')}""",
        "mql": f"""
  SELECT {month('l.mql_at')}{reg},
    count(*) AS mqls,
    count(l.sql_at) AS sqls,
    count(CASE WHEN l.sql_at <= l.mql_at + INTERVAL 30 DAY THEN 1 END) AS sql_30d,
    median(date_diff('day', CAST(l.mql_at AS DATE), CAST(l.sql_at AS DATE))) AS sql_days_median
  FROM leads l {rep_of['l.owner_rep_id']}
  WHERE l.mql_at IS NOT NULL
  {group('l.mql_at')}""",
        "opened": f"""
  SELECT {month('o.created_at')}{reg},
    count(*) AS created,
    sum(o.amount) AS created_amount
  FROM opportunities o {rep_of['o.owner_rep_id']}
  WHERE o.created_at IS NOT NULL
  {group('o.created_at')}""",
        "closed": f"""
  SELECT {month('o.closed_at')}{reg},
    count(*) AS closed_count,
    sum(o.amount) AS closed_amount,
    count(CASE WHEN o.stage IN ('won', 'lost') THEN 1 END) AS decided,
    count(CASE WHEN o.stage = 'won' THEN 1 END) AS won,
    sum(CASE WHEN o.stage = 'won' THEN o.amount END) AS won_amount,
    sum(CASE WHEN o.stage = 'lost' THEN o.amount END) AS lost_amount,
    avg(CASE WHEN o.stage = 'won'
        THEN date_diff('day', CAST(o.created_at AS DATE), CAST(o.closed_at AS DATE)) END)
      AS cycle_days,
    quantile_cont(CASE WHEN o.stage = 'won' THEN o.amount END, 0.9) AS p90,
    count(CASE WHEN o.stage = 'won' AND o.deal_type = 'expansion' THEN 1 END) AS upsells
  FROM opportunities o {rep_of['o.owner_rep_id']}
  WHERE o.closed_at IS NOT NULL
  {group('o.closed_at')}""",
        # won deals per month, rep and account: accounts won, and the per-entity aggregates
        "won": f"""
  SELECT {month('o.closed_at')}, o.owner_rep_id, o.account_id,
    count(*) AS deals, sum(o.amount) AS amount
  FROM opportunities o
  WHERE o.closed_at IS NOT NULL AND o.stage = 'won'
  {group('o.closed_at', 'o.owner_rep_id', 'o.account_id', region=False)}""",
        "accounts_won": f"""
  SELECT w.period{reg}, count(DISTINCT w.account_id) AS accounts
  FROM won w {rep_of['w.owner_rep_id']}
  GROUP BY ALL""",
        "per_rep": f"""
  SELECT w.period{', p.region' if by_region else ''}, p.rep_name AS rep, sum(w.amount) AS amount
  FROM won w LEFT JOIN reps p ON p.rep_id = w.owner_rep_id
  GROUP BY ALL""",
        "rep_median": f"""
  SELECT s.period{', k.region' if by_region else ''}, median(coalesce(x.amount, 0)) AS median_rep
  FROM (SELECT DISTINCT rep{', region' if by_region else ''} FROM per_rep) AS k
  CROSS JOIN (SELECT CAST(unnest(generate_series(min(period), max(period), INTERVAL 1 MONTH))
              AS DATE) AS period FROM per_rep) AS s
  LEFT JOIN per_rep x ON x.period = s.period AND x.rep IS NOT DISTINCT FROM k.rep
    {'AND x.region IS NOT DISTINCT FROM k.region' if by_region else ''}
  GROUP BY ALL""",
        "repeat_wins": f"""
  SELECT period{', region' if by_region else ''}, count(CASE WHEN deals > 1 THEN 1 END) AS repeat
  FROM (SELECT w.period{reg}, c.account_name, sum(w.deals) AS deals
        FROM won w LEFT JOIN accounts c ON c.account_id = w.account_id
        {rep_of['w.owner_rep_id']} GROUP BY ALL)
  GROUP BY ALL""",
    }
    if not by_region:
        scans |= {
            "nps": f"""
  SELECT {month('n.responded_at')},
    count(*) AS responses,
    count(CASE WHEN n.score >= 9 THEN 1 END) AS promoters,
    count(CASE WHEN n.score <= 6 THEN 1 END) AS detractors
  FROM nps_responses n
  WHERE n.responded_at IS NOT NULL
  {group('n.responded_at')}""",
            "events": f"""
  SELECT {month('e.event_at')},
    sum(e.mrr_delta) AS net_new,
    sum(CASE WHEN e.event_type = 'new' THEN e.mrr_delta END) AS new,
    sum(CASE WHEN e.event_type = 'expansion' THEN e.mrr_delta END) AS expansion,
    sum(CASE WHEN e.event_type = 'contraction' THEN -e.mrr_delta END) AS contraction,
    sum(CASE WHEN e.event_type = 'churn' THEN -e.mrr_delta END) AS churned
  FROM subscription_events e
  WHERE e.event_at IS NOT NULL
  {group('e.event_at')}""",
            "snapshots": f"""
  SELECT {month('m.snapshot_date')}, m.snapshot_date AS day, sum(m.mrr) AS mrr
  FROM mrr_snapshots m
  WHERE m.snapshot_date IS NOT NULL
  {group('m.snapshot_date', 'day')}
  QUALIFY day = max(day) OVER (PARTITION BY period)""",
            "started": f"""
  SELECT {month('s.started_at')}, count(*) AS started
  FROM subscriptions s WHERE s.started_at IS NOT NULL {group('s.started_at')}""",
            "cancelled": f"""
  SELECT {month('s.cancelled_at')}, count(*) AS cancelled
  FROM subscriptions s WHERE s.cancelled_at IS NOT NULL {group('s.cancelled_at')}""",
        }
    joined = [n for n in scans if n not in ("won", "per_rep")]
    periods = " UNION ALL ".join(f"SELECT period FROM {n}" for n in joined)
    ctes = ",\n".join(f"{name} AS ({body}\n)" for name, body in scans.items())
    ctes += f""",
bounds AS (SELECT min(period) AS lo, max(period) AS hi FROM ({periods})),
spine AS (SELECT CAST(unnest(generate_series(lo, hi, INTERVAL 1 MONTH)) AS DATE) AS period
          FROM bounds)"""
    base = "spine"
    if by_region:
        regions = " UNION ".join(f"SELECT region FROM {n}" for n in joined)
        ctes += f",\ngrid AS (SELECT * FROM spine CROSS JOIN ({regions}))"
        base = "grid"
    keys = "g.period" + (", g.region" if by_region else "")
    part = "PARTITION BY g.region " if by_region else ""

    def on(name: str) -> str:
        same = f"{name}.period = g.period"
        return same + (f" AND {name}.region IS NOT DISTINCT FROM g.region" if by_region else "")

    def w(expr: str, frame: str = "ROWS UNBOUNDED PRECEDING", extra: str = "") -> str:
        partition = f"PARTITION BY {', '.join(p for p in ('g.region' if by_region else '', extra) if p)} " \
            if by_region or extra else ""
        return f"sum({expr}) OVER ({partition}ORDER BY g.period {frame})"

    won = "coalesce(closed.won_amount, 0)"
    deals = "coalesce(closed.won, 0)"
    win_rate = ("CASE WHEN coalesce(closed.decided, 0) >= 5 THEN CAST(coalesce(closed.won, 0) "
                "AS DOUBLE) / nullif(coalesce(closed.decided, 0), 0) END")
    ratio = "CAST(coalesce({0}, 0) AS DOUBLE) / nullif(coalesce({1}, 0), 0)"
    pipe = "coalesce(opened.created_amount, 0) - coalesce(closed.closed_amount, 0)"
    opps = "coalesce(opened.created, 0) - coalesce(closed.closed_count, 0)"
    prev = f"lag({won}, {{}}) OVER ({part}ORDER BY g.period)"
    cols = {
        "calls_made": "coalesce(act.calls, 0)",
        "emails_sent": "coalesce(act.emails, 0)",
        "meetings_scheduled": "coalesce(act.meetings, 0)",
        "follow_ups": "coalesce(act.follow_ups, 0)",
        "email_open_rate": ratio.format("act.opened", "act.emails"),
        "click_through_rate": ratio.format("act.clicked", "act.emails"),
        "meeting_attendance_rate": ratio.format("act.attended", "act.meetings"),
        "leads_created": "coalesce(lead.leads, 0)",
        "lead_conversion_rate": ratio.format("lead.converted", "lead.leads"),
        "lead_to_customer_90d": ratio.format("lead.won_90d", "lead.leads"),
        "lead_to_mql_30d": ratio.format("lead.mql_30d", "lead.leads"),
        "avg_days_lead_to_mql": "lead.mql_days",
        "median_days_lead_to_mql": "lead.mql_days_median",
        "inbound_response_hours": "lead.response_hours",
        "leads_followed_up_rate": ratio.format("lead.followed_up", "lead.leads"),
        "mql_to_sql_rate": ratio.format("mql.sqls", "mql.mqls"),
        "mql_to_sql_30d": ratio.format("mql.sql_30d", "mql.mqls"),
        "median_days_mql_to_sql": "mql.sql_days_median",
        "opportunities_created": "coalesce(opened.created, 0)",
        "pipeline_created": "coalesce(opened.created_amount, 0)",
        "win_rate": win_rate,
        "deals_won": deals,
        "won_revenue": won,
        "average_deal_size": f"CAST({won} AS DOUBLE) / nullif({deals}, 0)",
        "sales_cycle_length": "closed.cycle_days",
        "p90_deal_size": "closed.p90",
        "upsell_rate": ratio.format("closed.upsells", "closed.won"),
        "accounts_won": "coalesce(accounts_won.accounts, 0)",
        "pipeline_lost": "coalesce(closed.lost_amount, 0)",
        "open_pipeline": w(pipe),
        "open_pipeline_at_start": f"coalesce({w(pipe, 'ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING')}, 0)",
        "open_opportunities": w(opps),
        "pipeline_velocity": f"CAST(coalesce(opened.created, 0) * ({win_rate}) * (CAST({won} AS DOUBLE) "
                             f"/ nullif({deals}, 0)) AS DOUBLE) / nullif(closed.cycle_days, 0)",
        "median_won_revenue_per_rep": "rep_median.median_rep",
        "accounts_with_repeat_wins": "coalesce(repeat_wins.repeat, 0)",
        "won_revenue_growth": f"CAST({won} - {prev.format(1)} AS DOUBLE) / nullif({prev.format(1)}, 0)",
        "won_revenue_yoy": f"CAST({won} - {prev.format(12)} AS DOUBLE) / nullif({prev.format(12)}, 0)",
        "won_revenue_ytd": w(won, extra="date_trunc('year', g.period)"),
        "won_revenue_qtd": w(won, extra="date_trunc('quarter', g.period)"),
        "win_rate_trailing_3": (
            f"CASE WHEN {w('coalesce(closed.decided, 0)', 'ROWS 2 PRECEDING')} >= 5 THEN "
            f"CAST({w('coalesce(closed.won, 0)', 'ROWS 2 PRECEDING')} AS DOUBLE) / "
            f"nullif({w('coalesce(closed.decided, 0)', 'ROWS 2 PRECEDING')}, 0) END"),
    }
    if by_region:  # each region's share of the month's won revenue
        cols["revenue_share_by_region"] = (f"CAST({won} AS DOUBLE) / "
                                           f"nullif(sum({won}) OVER (PARTITION BY g.period), 0)")
    if not by_region:
        mrr = w("coalesce(events.net_new, 0)")
        mrr_start = f"coalesce({w('coalesce(events.net_new, 0)', 'ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING')}, 0)"
        subs = w("coalesce(started.started, 0) - coalesce(cancelled.cancelled, 0)")
        subs_start = ("coalesce(" + w("coalesce(started.started, 0) - coalesce(cancelled.cancelled, 0)",
                                      "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING") + ", 0)")
        churn = f"CAST(coalesce(cancelled.cancelled, 0) AS DOUBLE) / nullif({subs_start}, 0)"
        cols |= {
            "nps_promoters": ratio.format("nps.promoters", "nps.responses"),
            "nps_detractors": ratio.format("nps.detractors", "nps.responses"),
            "nps": f"100 * (({ratio.format('nps.promoters', 'nps.responses')}) - "
                   f"({ratio.format('nps.detractors', 'nps.responses')}))",
            "mrr": mrr,
            "mrr_at_start": mrr_start,
            "mrr_reported": "coalesce(snapshots.mrr, 0)",
            "net_new_mrr": "coalesce(events.net_new, 0)",
            "new_mrr": "coalesce(events.new, 0)",
            "expansion_mrr": "coalesce(events.expansion, 0)",
            "contraction_mrr": "coalesce(events.contraction, 0)",
            "churned_mrr": "coalesce(events.churned, 0)",
            "active_subscriptions": subs,
            "active_subscriptions_at_start": subs_start,
            "subscriptions_cancelled": "coalesce(cancelled.cancelled, 0)",
            "customer_churn_rate": churn,
            "revenue_churn_rate": f"CAST(coalesce(events.churned, 0) + coalesce(events.contraction, 0) "
                                  f"AS DOUBLE) / nullif({mrr_start}, 0)",
            "net_revenue_retention": f"CAST({mrr_start} + coalesce(events.expansion, 0) - "
                                     f"coalesce(events.contraction, 0) - coalesce(events.churned, 0) "
                                     f"AS DOUBLE) / nullif({mrr_start}, 0)",
            "customer_lifetime_value": f"CAST((CAST({mrr} AS DOUBLE) / nullif({subs}, 0)) * 0.78 AS DOUBLE) "
                                       f"/ nullif({churn}, 0)",
        }
    joins = "\n".join(f"LEFT JOIN {n} ON {on(n)}" for n in joined)
    select = ",\n  ".join(f"{expr} AS {name}" for name, expr in cols.items())
    return f"WITH {ctes}\nSELECT {keys},\n  {select}\nFROM {base} g\n{joins}\nORDER BY {keys}"


# -- data --------------------------------------------------------------------------------------

def default_data_dir(opportunities: int, seed: int) -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "sales-metrics-benchmark" / f"opportunities-{opportunities}-seed-{seed}"


def ensure_data(folder: Path, opportunities: int, seed: int, regenerate: bool) -> dict:
    """Reuse the dataset in ``folder`` when it was generated with the same settings, else
    generate it in a child process (its time and peak memory are reported, not counted)."""
    marker = folder / "benchmark.json"
    if marker.exists() and not regenerate:
        info = json.loads(marker.read_text())
        if info.get("opportunities") == opportunities and info.get("seed") == seed:
            return info | {"reused": True}
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)  # written last: a half-written folder is regenerated
    code = ("import json, sys, time; sys.path.insert(0, sys.argv[1]); from generate import "
            "generate; start = time.perf_counter(); rows = generate(sys.argv[2], int(sys.argv[3]),"
            " seed=int(sys.argv[4])); print(json.dumps({'rows': rows, 'seconds': "
            "time.perf_counter() - start}))")
    print(f"generating {opportunities:,} opportunities into {folder} ...", file=sys.stderr)
    done = subprocess.run([sys.executable, "-c", code, str(HERE), str(folder), str(opportunities),
                           str(seed)], check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # first child: it
    info = {"opportunities": opportunities, "seed": seed, "rows": result["rows"],
            "seconds": result["seconds"], "peak_bytes": child, "load": os.getloadavg()}
    marker.write_text(json.dumps(info, indent=2))
    return info | {"reused": False}


# -- timing ------------------------------------------------------------------------------------

class Timer:
    """Wall-clock and CPU seconds (this process, all threads) of repeated runs."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, action: Callable[[], object]) -> object:
        cpu, start = time.process_time(), time.perf_counter()
        result = action()
        self.wall.append(time.perf_counter() - start)
        self.cpu.append(time.process_time() - cpu)
        return result

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def spread(self, unit: float = 1.0, digits: int = 2) -> str:
        return f"{min(self.wall) * unit:.{digits}f}–{max(self.wall) * unit:.{digits}f}"


def repeat(action: Callable[[], object], runs: int) -> Timer:
    timer = Timer()
    for _ in range(runs):
        timer(action)
    return timer


# -- checking (a) against (b) and (c) ----------------------------------------------------------

def rows_by_key(table, keys: list[str]) -> dict[tuple, dict[str, object]]:
    data = table.to_pydict()
    return {tuple(data[k][i] for k in keys): {c: data[c][i] for c in data}
            for i in range(table.num_rows)}


def same(x: object, y: object) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return math.isclose(float(x), float(y), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def differences(expected, actual, keys: list[str], metrics: list[str],
                subset: bool = False) -> dict[str, str]:
    """Metric -> what differs between two results (rows keyed by period and dimensions).
    With ``subset``, ``actual`` may lack rows (a metric run alone has its own range)."""
    want, got = rows_by_key(expected, keys), rows_by_key(actual, keys)
    out: dict[str, str] = {}
    if set(got) - set(want) or (not subset and set(want) - set(got)):
        out["(rows)"] = (f"{len(set(want) - set(got))} rows only in one, "
                         f"{len(set(got) - set(want))} only in the other")
    for metric in metrics:
        if metric not in actual.column_names:
            out[metric] = "missing"
            continue
        bad = [(k, want[k][metric], got[k][metric]) for k in want.keys() & got.keys()
               if not same(want[k][metric], got[k][metric])]
        if bad:
            key, x, y = bad[0]
            out[metric] = f"{len(bad)} of {len(want)} rows differ, e.g. {key}: {x!r} vs {y!r}"
    return out


# -- the three ways, on one connection ---------------------------------------------------------

def scenario(project, execute: Callable[[str], object], by: list[str], runs: int,
             naive_runs: int) -> dict:
    """Time (a), (b) and (c) for the catalog at month grain (grouped by ``by``); check them."""
    names, skipped = project.runnable(project.catalog.metrics, grain="month", by=by)
    engine_sql = project.compile(names, grain="month", by=by)
    hand_sql = handwritten(bool(by))
    naive_sql = [(name, project.compile([name], grain="month", by=by)) for name in names]
    keys = ["period", *by]
    a, b = execute(engine_sql), execute(hand_sql)  # warm-up, and the results to check
    problems = {f"(b) {m}": why for m, why in differences(a, b, keys, names).items()}
    extra = sorted(set(b.column_names) - set(names) - set(keys))
    if extra:
        problems["(b) columns"] = f"computed by hand but not by the engine: {', '.join(extra)}"
    if naive_runs:
        for name, text in naive_sql:
            alone = execute(text)
            for metric, why in differences(a.select(keys + [name]), alone, keys, [name],
                                           subset=True).items():
                problems[f"(c) {name}{'' if metric == name else ' ' + metric}"] = why
    timers = {"a": Timer(), "b": Timer(), "c": Timer()}
    ways = {"a": lambda: execute(engine_sql), "b": lambda: execute(hand_sql),
            "c": lambda: [execute(text) for _, text in naive_sql]}
    for run in range(runs):
        order = ["a", "b"] if run % 2 == 0 else ["b", "a"]  # neither always runs first
        for way in order + (["c"] if run < naive_runs else []):
            timers[way](ways[way])
    return {"by": by, "metrics": len(names), "skipped": len(skipped), "rows": a.num_rows,
            "timers": timers, "problems": problems}


def catalog_timings(runs: int) -> dict[str, Timer]:
    from sales_metrics.engine.project import check_project

    out = {"validate": Timer(), "compile": Timer(), "compile_region": Timer()}
    for _ in range(runs):
        project, diagnostics = out["validate"](lambda: check_project(CATALOG))
        assert project is not None, [d.render() for d in diagnostics]
        for key, by in (("compile", []), ("compile_region", ["region"])):
            out[key](lambda: project.compile(
                project.runnable(project.catalog.metrics, grain="month", by=by)[0],
                grain="month", by=by))
    return out


def generated_project_timings(runs: int) -> dict:
    """Validate and compile (every metric, one request) a generated 1,000-metric project, in
    a fresh process per run as `metrics` would (the imports are not counted)."""
    code = """if True:
        import json, sys, time
        sys.path[:0] = [sys.argv[1], sys.argv[2]]
        from benchmark_project import make_project
        from sales_metrics.engine.project import check_project
        root = make_project(sys.argv[3], metrics=1000, sources=20)
        start = time.perf_counter()
        project, diagnostics = check_project(root)
        assert project is not None, [d.render() for d in diagnostics][:5]
        middle = time.perf_counter()
        names = project.runnable(project.catalog.metrics, grain="month")[0]
        project.compile(names, grain="month")
        end = time.perf_counter()
        print(json.dumps({"validate": middle - start, "compile": end - middle,
                          "both": end - start, "metrics": len(project.catalog.metrics),
                          "sources": len(project.catalog.sources)}))"""
    out: dict = {"validate": Timer(), "compile": Timer(), "both": Timer()}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            done = subprocess.run([sys.executable, "-c", code, str(HERE), str(ROOT),
                                   str(Path(tmp) / f"project{run}")], check=True,
                                  capture_output=True, text=True)
            times = json.loads(done.stdout.strip().splitlines()[-1])
            for key in ("validate", "compile", "both"):
                out[key].wall.append(times[key])
            out["metrics"], out["sources"] = times["metrics"], times["sources"]
    return out


def startup_timings(runs: int, data: Path, run_runs: int) -> dict:
    """Wall-clock of fresh processes, interleaved: bare Python, `metrics --help`, `metrics
    validate` of the catalog pointed at the benchmark's data (run as usual, and replayed:
    cli/entry.py prints a recorded result when nothing it read has changed), the floor
    under a validate that runs (importing the libraries it needs: Typer, Jinja, PyYAML,
    pydantic, sqlglot with its DuckDB dialect, DuckDB, and parsing one expression, with none
    of our code), and `metrics run --grain=month` end to end, with the query's own time as
    the run logs it (``-v``), so what is ours is the difference."""
    script = Path(sys.executable).with_name("metrics")
    metrics = [str(script)] if script.exists() else [sys.executable, "-m", "sales_metrics.cli"]
    floor = ("import typer, pydantic, jinja2, yaml, sqlglot, duckdb; "
             "sqlglot.parse_one('x', read='duckdb')")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "metrics"
        shutil.copytree(CATALOG, project, ignore=shutil.ignore_patterns("*.test.yml"))
        settings = project / "project.yml"
        text = settings.read_text().replace("../examples/data", json.dumps(str(data)))
        settings.write_text(text)
        os.utime(settings, (time.time() - 60,) * 2)  # not "just changed": it may be recorded
        cold = {**os.environ, "METRICS_NO_CACHE": "1"}
        warm = {**os.environ, "METRICS_CACHE_DIR": str(Path(tmp) / "cache")}
        warm.pop("METRICS_NO_CACHE", None)
        commands = {"python -c pass": ([sys.executable, "-c", "pass"], cold),
                    "metrics --help": ([*metrics, "--help"], cold),
                    "metrics validate": ([*metrics, "validate", str(project)], cold),
                    "metrics validate, replayed": ([*metrics, "validate", str(project)], warm),
                    "libraries": ([sys.executable, "-c", floor], cold)}
        subprocess.run(commands["metrics validate, replayed"][0], env=warm, check=True,
                       capture_output=True)  # records the result the timed runs replay
        out = {name: Timer() for name in commands}
        for _ in range(runs):
            for name, (command, env) in commands.items():
                out[name](lambda: subprocess.run(command, cwd=ROOT, env=env, check=True,
                                                 stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL))
        run, query = Timer(), Timer()
        for _ in range(run_runs):
            started = time.perf_counter()
            done = subprocess.run([*metrics, "run", "--grain=month", "-p", str(project), "-v"],
                                  cwd=ROOT, env=cold, check=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            run.wall.append(time.perf_counter() - started)
            took = [line for line in done.stderr.splitlines() if "query 1 of 1 done in" in line]
            query.wall.append(float(took[-1].rsplit(" in ", 1)[1].split()[0]))
        out["metrics run"], out["query"] = run, query
        out["ours"] = Timer()
        out["ours"].wall = [r - q for r, q in zip(run.wall, query.wall)]
    return out


# -- report ------------------------------------------------------------------------------------

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal")), 0)
    import duckdb

    return (f"{os.cpu_count()} CPUs ({cpu}), {memory / 2**30:.0f} GiB, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def seconds(timer: Timer) -> str:
    return f"{timer.median:.3f} s ({timer.spread(digits=3)})"


def report(args, data: dict, results: list[dict], catalog: dict, generated: dict,
           startup: dict, peak: int, loads: tuple[str, str]) -> str:
    n = f"{args.opportunities / 1e6:g}M" if args.opportunities >= 1e6 else f"{args.opportunities:,}"
    lines = [f"### {n} opportunities, month grain, {args.runs} runs (naive: {args.naive_runs})",
             "", f"Machine: {machine()}. Load average (1, 5, 15 min) {loads[0]} at the start, "
             f"{loads[1]} at the end.", "",
             "| request | metrics | rows | (a) engine | (b) hand-written | (c) one query per "
             "metric | a/b | c/b | a/b CPU |",
             "| --- | ---: | ---: | --- | --- | --- | ---: | ---: | ---: |"]
    for r in results:
        t = r["timers"]
        naive = seconds(t["c"]) if t["c"].wall else "not run"
        c_b = f"{t['c'].median / t['b'].median:.1f}" if t["c"].wall else "-"
        lines.append(f"| {'by ' + ', '.join(r['by']) if r['by'] else 'whole catalog'} | "
                     f"{r['metrics']} | {r['rows']} | {seconds(t['a'])} | {seconds(t['b'])} | "
                     f"{naive} | {t['a'].median / t['b'].median:.2f} | {c_b} | "
                     f"{t['a'].cpu_median / t['b'].cpu_median:.2f} |")
    lines += ["", "Times are medians (min–max) of wall-clock seconds; a/b CPU is the ratio of "
              "the medians of CPU seconds (all DuckDB threads), less sensitive to other load.", ""]
    gen = data.get("seconds")
    lines.append(f"Data: {', '.join(f'{k} {v:,}' for k, v in data['rows'].items())}; "
                 + (f"generated in {gen:.1f} s (peak {data['peak_bytes'] / 2**30:.2f} GiB, "
                    f"load {' '.join(f'{x:.2f}' for x in data['load'])})"
                    if not data.get("reused") else f"reused from {args.data}"
                    + (f" (generated in {gen:.1f} s)" if gen else "")) + ".")
    lines.append(f"Peak memory of the benchmark process (DuckDB included): "
                 f"{peak / 2**30:.2f} GiB.")
    problems = [f"- {way}: {why}" for r in results for way, why in r["problems"].items()]
    lines += ["", "Checks: (a) = (b) for every metric and row (relative tolerance 1e-9), "
              "and each metric alone (c) = (a)." if not problems else
              "", *(["Differences:", *problems] if problems else [])]
    base = startup["python -c pass"].median
    lines += ["", "| step | median | min–max | goal |", "| --- | ---: | ---: | --- |",
              f"| load + validate the catalog ({catalog['metrics']} metrics) | "
              f"{catalog['validate'].median * 1000:.0f} ms | {catalog['validate'].spread(1000, 0)} ms | |",
              f"| compile the whole catalog, month | {catalog['compile'].median * 1000:.0f} ms | "
              f"{catalog['compile'].spread(1000, 0)} ms | |",
              f"| compile it by region | {catalog['compile_region'].median * 1000:.0f} ms | "
              f"{catalog['compile_region'].spread(1000, 0)} ms | |",
              f"| generated project ({generated['metrics']:,} metrics, {generated['sources']} "
              f"sources): validate | {generated['validate'].median * 1000:.0f} ms | "
              f"{generated['validate'].spread(1000, 0)} ms | |",
              f"| generated project: compile every metric in one request | "
              f"{generated['compile'].median * 1000:.0f} ms | "
              f"{generated['compile'].spread(1000, 0)} ms | |",
              f"| generated project: validate + compile | {generated['both'].median * 1000:.0f} ms"
              f" | {generated['both'].spread(1000, 0)} ms | well under 1 s |",
              f"| `python -c pass` | {base * 1000:.0f} ms | "
              f"{startup['python -c pass'].spread(1000, 0)} ms | |"]
    for name, goal in (("metrics --help", "under +150 ms"),
                       ("metrics validate", "(runs: the floor below is under it)"),
                       ("metrics validate, replayed", "within +300 ms"),
                       ("libraries", "(the floor under a validate that runs)")):
        timer = startup[name]
        label = "import the libraries validate uses, parse `x`" if name == "libraries" \
            else f"`{name.split(',')[0]}`{name[len(name.split(',')[0]):]}"
        lines.append(f"| {label} | {timer.median * 1000:.0f} ms (+{(timer.median - base) * 1000:.0f}) "
                     f"| {timer.spread(1000, 0)} ms | {goal} |")
    run, query, ours = startup["metrics run"], startup["query"], startup["ours"]
    lines += [f"| `metrics run --grain=month` end to end | {run.median * 1000:.0f} ms | "
              f"{run.spread(1000, 0)} ms | |",
              f"| its query, as the run logs it | {query.median * 1000:.0f} ms | "
              f"{query.spread(1000, 0)} ms | |",
              f"| the rest: start-up, load, connect, compile, notes, format | "
              f"{ours.median * 1000:.0f} ms | {ours.spread(1000, 0)} ms | at most 250 ms |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of (a) and (b)")
    parser.add_argument("--naive-runs", type=int, default=None,
                        help="timed runs of (c) (default: --runs, at most 3; 0 skips it)")
    parser.add_argument("--data", type=Path, default=None,
                        help="dataset folder (default: a cache folder per size and seed)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true", help="generate even if cached")
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--run-runs", type=int, default=5,
                        help="fresh `metrics run --grain=month` processes on the data")
    parser.add_argument("--project-runs", type=int, default=5,
                        help="fresh processes that validate and compile the 1,000-metric project")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    args.naive_runs = min(args.runs, 3) if args.naive_runs is None else args.naive_runs
    args.data = args.data or default_data_dir(args.opportunities, args.seed)
    start_load = load()
    data = ensure_data(args.data, args.opportunities, args.seed, args.regenerate)

    sys.path.insert(0, str(ROOT))
    from sales_metrics.adapters.duckdb import DuckDBAdapter
    from sales_metrics.engine.project import load_project

    project = load_project(CATALOG)
    # The timings of our own work first, before DuckDB's threads and the data's pages compete.
    startup = startup_timings(args.startup_runs, args.data, args.run_runs)
    catalog = catalog_timings(max(args.runs, 5)) | {"metrics": len(project.catalog.metrics)}
    generated = generated_project_timings(args.project_runs)
    adapter = DuckDBAdapter(root=ROOT, data=str(args.data))
    results = []
    for by in ([], ["region"]):
        print(f"running the catalog{' by ' + by[0] if by else ''} ...", file=sys.stderr)
        results.append(scenario(project, adapter.execute, by, args.runs, args.naive_runs))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    adapter.close()
    text = report(args, data, results, catalog, generated, startup, peak, (start_load, load()))
    print(text)
    if args.json:
        timers = lambda d: {k: {"wall": v.wall, "cpu": v.cpu} for k, v in d.items()  # noqa: E731
                            if isinstance(v, Timer)}
        args.json.write_text(json.dumps({
            "opportunities": args.opportunities, "data": data, "peak_bytes": peak,
            "machine": machine(), "load": [start_load, load()],
            "results": [{k: v for k, v in r.items() if k != "timers"} | {"timers": timers(
                r["timers"])} for r in results],
            "catalog": timers(catalog), "generated": timers(generated),
            "startup": timers(startup)}, indent=2, default=str))


if __name__ == "__main__":
    main()
