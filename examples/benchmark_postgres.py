"""The benchmark's (a)/(b) rows on PostgreSQL: the engine's SQL against hand-written SQL.

    python examples/benchmark_postgres.py --data /tmp/bench1m [--runs 3] [--compare-duckdb]

1. :func:`ensure_seeded` loads the Parquet files of a sample dataset (``benchmark.py``'s, e.g.
   1M opportunities) into a schema once (``COPY ... FREEZE``, primary keys, ``VACUUM
   ANALYZE``), and reuses it while a marker (the schema's comment) matches the files.
2. :func:`postgres_scenarios` runs every metric ``metrics run --grain=month`` runs, and again
   by region, two ways on one PostgreSQL session (``work_mem`` 256MB, JIT off as the adapter
   sets it): (a) the engine's SQL compiled for PostgreSQL; (b) :func:`handwritten_postgres`,
   written for PostgreSQL without looking at the engine's SQL (one scan per table and time
   column with FILTER aggregates, exact medians from per-day histograms so no scan needs an
   ordered-set aggregate, won deals kept as rows for the percentile and the per-entity
   aggregates, a generate_series spine, windows over the aggregated rows). It alternates which
   runs first and checks that (a) = (b) for every metric and row (1e-9 relative).

The results are shaped like ``benchmark.scenario``'s, for its report table.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
# The tables' keys (sources.yml): declared as primary keys, as a warehouse schema would.
KEYS = {"accounts": ["account_id"], "activities": ["activity_id"], "leads": ["lead_id"],
        "mrr_snapshots": ["account_id", "snapshot_date"], "nps_responses": ["response_id"],
        "opportunities": ["opportunity_id"], "quotas": ["rep_id", "quarter_start"],
        "reps": ["rep_id"], "subscription_events": ["event_id"],
        "subscriptions": ["subscription_id"]}
MARKER_VERSION = 1


def _fingerprint(data: Path) -> dict:
    import pyarrow.parquet as pq

    files = {}
    for path in sorted(data.glob("*.parquet")):
        stat = path.stat()
        files[path.stem] = {"bytes": stat.st_size, "rows": pq.ParquetFile(path).metadata.num_rows}
    info = {"version": MARKER_VERSION, "files": files}
    marker = data / "benchmark.json"  # benchmark.py's marker: size and seed of the sample
    if marker.exists():
        settings = json.loads(marker.read_text())
        info |= {"opportunities": settings.get("opportunities"), "seed": settings.get("seed")}
    return info


def _pg_type(arrow) -> str:
    import pyarrow.types as t

    for check, name in [(t.is_boolean, "boolean"), (t.is_int8, "smallint"),
                        (t.is_int16, "smallint"), (t.is_int32, "integer"),
                        (t.is_int64, "bigint"), (t.is_float32, "real"),
                        (t.is_floating, "double precision"), (t.is_date, "date"),
                        (t.is_string, "text"), (t.is_large_string, "text")]:
        if check(arrow):
            return name
    if t.is_timestamp(arrow):
        return "timestamptz" if arrow.tz else "timestamp"
    raise TypeError(f"no PostgreSQL type for {arrow}")


def ensure_seeded(data: Path, schema: str, url: str = DEFAULT_URL) -> dict:
    """Load every Parquet file of ``data`` into ``schema`` as a table of the same name, once.

    A marker (the schema's comment: each file's size and row count, and the sample's size and
    seed from ``benchmark.json``) says what was loaded; when it matches, the tables are reused.
    Each table is created and filled with ``COPY ... FREEZE`` in one transaction (batches of
    the Parquet file written as CSV by pyarrow, streamed), given its primary key, then the
    schema is vacuumed and analyzed. Returns the rows per table and the seconds it took.
    """
    import psycopg
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq
    from psycopg import sql as q

    want = _fingerprint(Path(data))
    start = time.perf_counter()
    rows = {name: f["rows"] for name, f in want["files"].items()}
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace "
                             "WHERE nspname = %s", [schema]).fetchone()
        if found and found[0]:
            try:
                if json.loads(found[0]) == want:
                    return {"rows": rows, "seconds": None, "reused": True, "schema": schema}
            except ValueError:
                pass
        conn.execute(q.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(q.Identifier(schema)))
        conn.execute(q.SQL("CREATE SCHEMA {}").format(q.Identifier(schema)))
        for name in want["files"]:
            path = Path(data) / f"{name}.parquet"
            file = pq.ParquetFile(path)
            target = q.Identifier(schema, name)
            columns = q.SQL(", ").join(q.SQL("{} {}").format(q.Identifier(f.name),
                                                              q.SQL(_pg_type(f.type)))
                                       for f in file.schema_arrow)
            with conn.transaction():
                conn.execute(q.SQL("CREATE TABLE {} ({})").format(target, columns))
                with conn.cursor() as cur, cur.copy(q.SQL(
                        "COPY {} FROM STDIN (FORMAT CSV, FREEZE)").format(target)) as copy:
                    for batch in file.iter_batches(batch_size=200_000):
                        buffer = io.BytesIO()
                        pcsv.write_csv(batch, buffer,
                                       pcsv.WriteOptions(include_header=False))
                        copy.write(buffer.getvalue())
            if name in KEYS:
                conn.execute(q.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                    target, q.SQL(", ").join(map(q.Identifier, KEYS[name]))))
        for name in want["files"]:
            conn.execute(q.SQL("VACUUM (ANALYZE) {}").format(q.Identifier(schema, name)))
        conn.execute(q.SQL("COMMENT ON SCHEMA {} IS {}").format(
            q.Identifier(schema), q.Literal(json.dumps(want))))
    return {"rows": rows, "seconds": time.perf_counter() - start, "reused": False,
            "schema": schema}


# -- (b) hand-written PostgreSQL ---------------------------------------------------------------

WON, LOST = "'won'", "'lost'"


def _median(hist: str, keys: str, value: str, count: str, out: str) -> str:
    """Exact percentile_cont(0.5) per group from a histogram (keys, value, count): the values
    at the 0-based positions floor((n-1)/2) and ceil((n-1)/2) of the sorted values, averaged."""
    return f"""SELECT {keys},
    (min({value}) FILTER (WHERE cum > floor((total - 1) / 2.0))
     + min({value}) FILTER (WHERE cum > ceil((total - 1) / 2.0))) / 2.0 AS {out}
  FROM (SELECT {keys}, {value},
          sum({count}) OVER (PARTITION BY {keys} ORDER BY {value}) AS cum,
          sum({count}) OVER (PARTITION BY {keys}) AS total
        FROM {hist} WHERE {value} IS NOT NULL) AS h
  GROUP BY {keys}"""


def build(by_region: bool, *, activities: str = "filter", medians: str = "histogram",
          rep_first: bool = False, parallel_safe_p90: bool = False,
          won_rows: bool = True, population_from_opened: bool = True,
          estimate_fence: bool = True) -> str:
    """The catalog at month grain (by the owning rep's region) in PostgreSQL, by hand.

    ``activities``: "filter" (count(*) FILTER per condition in the scan) or "cube" (group the
    scan by the columns the conditions read, then count over those few rows).
    ``medians``: "histogram" (group by the whole number of days, then the exact median from
    running counts: no ordered-set aggregate, so each scan stays one hash aggregate) or
    "ordered" (percentile_cont in the scan).
    ``rep_first``: by region, aggregate the facts by rep_id first, then join the 2,000 reps to
    the aggregated rows (instead of joining each fact row to its rep).
    ``won_rows``: keep the won deals as rows (p90, per-account and per-rep sums from them) rather
    than grouped by month, rep and account with p90 in the closed-deals scan.
    ``population_from_opened``: the per-rep median's population (every owner of an opportunity)
    from the scan by creation grouped by owner, rather than a scan of its own.
    ``estimate_fence``: compute each scan's group keys in an OFFSET 0 subquery, so the planner
    does not take the number of months for the number of distinct timestamps.
    Elapsed windows are written in hours (``+ interval '2160 hours'``): adding a time-only
    interval is one addition, adding days goes through the calendar for every row.
    """
    R = by_region
    g = ", region" if R else ""          # the group's columns after the month
    month = "date_trunc('month', {})::date"

    def scan(table: str, alias: str, rep: str | None, time: str, cols: list[str],
             extra_keys: list[str] = (), where: str = "", rep_first_ok: bool = True) -> str:
        """One aggregated scan: month (and region), extra keys, cols."""
        keys = [f"{month.format(f'{alias}.{time}')} AS m"]
        if R and rep and rep_first and rep_first_ok:
            inner_keys = keys + [f"{alias}.{rep} AS rep_id"] + list(extra_keys)
            n = len(inner_keys)
            inner = (f"SELECT {', '.join(inner_keys)}, {', '.join(cols)} FROM {table} {alias} "
                     f"WHERE {alias}.{time} IS NOT NULL {where} GROUP BY {', '.join(map(str, range(1, n + 1)))}")
            names = [c.rsplit(" AS ", 1)[1] for c in cols]
            extra_names = [k.rsplit(" AS ", 1)[1] for k in extra_keys]
            outer = ", ".join(f"sum(x.{c}) AS {c}" for c in names)
            ks = ", ".join(["x.m", "r.region"] + [f"x.{k}" for k in extra_names])
            return (f"SELECT {ks}, {outer} FROM ({inner}) AS x LEFT JOIN reps r ON r.rep_id = x.rep_id "
                    f"GROUP BY {ks}")
        join = f"LEFT JOIN reps r ON r.rep_id = {alias}.{rep}" if R and rep else ""
        keys += (["r.region"] if R and rep else []) + list(extra_keys)
        n = len(keys)
        if not estimate_fence:
            return (f"SELECT {', '.join(keys)}, {', '.join(cols)} FROM {table} {alias} {join} "
                    f"WHERE {alias}.{time} IS NOT NULL {where} GROUP BY {', '.join(map(str, range(1, n + 1)))}")
        # The planner takes the number of months for that of distinct timestamps (millions),
        # so it sizes the hash table for millions of groups or sorts and spills; computing
        # the keys in a subquery it cannot flatten (OFFSET 0) makes it assume 200 per key.
        names = [k.rsplit(" AS ", 1)[1] if " AS " in k else k.split(".")[-1] for k in keys]
        inner = (f"SELECT {', '.join(keys)}, {alias}.* FROM {table} {alias} {join} "
                 f"WHERE {alias}.{time} IS NOT NULL {where} OFFSET 0")
        return (f"SELECT {', '.join(names)}, {', '.join(cols)} FROM ({inner}) AS {alias} "
                f"GROUP BY {', '.join(names)}")

    cte: dict[str, str] = {}
    # activities: counts under conditions
    if activities == "filter":
        cte["act"] = scan("activities", "a", "rep_id", "occurred_at", [
            "count(*) FILTER (WHERE a.activity_type = 'call') AS calls",
            "count(*) FILTER (WHERE a.activity_type = 'email') AS emails",
            "count(*) FILTER (WHERE a.activity_type = 'meeting') AS meetings",
            "count(*) FILTER (WHERE a.is_follow_up) AS follow_ups",
            "count(*) FILTER (WHERE a.activity_type = 'email' AND a.email_opened) AS opened",
            "count(*) FILTER (WHERE a.activity_type = 'email' AND a.email_clicked) AS clicked",
            "count(*) FILTER (WHERE a.activity_type = 'meeting' AND a.meeting_attended) AS attended"])
    else:
        cte["act_cube"] = scan("activities", "a", "rep_id", "occurred_at", ["count(*) AS n"], [
            "a.activity_type AS t", "a.is_follow_up AS f", "a.email_opened AS o",
            "a.email_clicked AS c", "a.meeting_attended AS ma"], rep_first_ok=False)
        cte["act"] = f"""SELECT m{g},
    coalesce(sum(n) FILTER (WHERE t = 'call'), 0) AS calls,
    coalesce(sum(n) FILTER (WHERE t = 'email'), 0) AS emails,
    coalesce(sum(n) FILTER (WHERE t = 'meeting'), 0) AS meetings,
    coalesce(sum(n) FILTER (WHERE f), 0) AS follow_ups,
    coalesce(sum(n) FILTER (WHERE t = 'email' AND o), 0) AS opened,
    coalesce(sum(n) FILTER (WHERE t = 'email' AND c), 0) AS clicked,
    coalesce(sum(n) FILTER (WHERE t = 'meeting' AND ma), 0) AS attended
  FROM act_cube GROUP BY m{g}"""

    # leads by creation: cohort counts, conversion windows, days to MQL, response time
    lead_cols = [
        "count(*) AS n",
        "count(l.converted_at) AS converted",
        "count(*) FILTER (WHERE l.converted_at >= l.created_at AND l.converted_at <= l.created_at + interval '2160 hours') AS won_90d",
        "count(*) FILTER (WHERE l.mql_at >= l.created_at AND l.mql_at <= l.created_at + interval '720 hours') AS mql_30d",
        "sum(l.first_response_at - l.created_at) FILTER (WHERE l.lead_source = 'inbound') AS response",
        "count(l.first_response_at) FILTER (WHERE l.lead_source = 'inbound') AS responses",
        "count(l.first_response_at) AS followed_up"]
    mql_cols = ["count(*) AS n", "count(l.sql_at) AS sqls",
                "count(*) FILTER (WHERE l.sql_at >= l.mql_at AND l.sql_at <= l.mql_at + interval '720 hours') AS sql_30d"]
    if medians == "histogram":
        cte["lead_h"] = scan("leads", "l", "owner_rep_id", "created_at", lead_cols,
                             ["l.mql_at::date - l.created_at::date AS d"], rep_first_ok=False)
        cte["lead"] = f"""SELECT m{g}, sum(n) AS leads, sum(converted) AS converted,
    sum(won_90d) AS won_90d, sum(mql_30d) AS mql_30d,
    sum(d * n) FILTER (WHERE d IS NOT NULL)::float8 / nullif(sum(n) FILTER (WHERE d IS NOT NULL), 0) AS mql_days,
    extract(epoch FROM sum(response))::float8 / nullif(sum(responses), 0) / 3600 AS response_hours,
    sum(followed_up) AS followed_up
  FROM lead_h GROUP BY m{g}"""
        cte["lead_med"] = _median("lead_h", f"m{g}", "d", "n", "mql_days_median")
        cte["mql_h"] = scan("leads", "l", "owner_rep_id", "mql_at", mql_cols,
                            ["l.sql_at::date - l.mql_at::date AS d"], rep_first_ok=False)
        cte["mql"] = f"""SELECT m{g}, sum(n) AS mqls, sum(sqls) AS sqls, sum(sql_30d) AS sql_30d
  FROM mql_h GROUP BY m{g}"""
        cte["mql_med"] = _median("mql_h", f"m{g}", "d", "n", "sql_days_median")
    else:
        days = "(l.mql_at::date - l.created_at::date)"
        cte["lead"] = scan("leads", "l", "owner_rep_id", "created_at", [
            "count(*) AS leads", *lead_cols[1:4],
            f"avg({days})::float8 AS mql_days",
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {days}) AS mql_days_median",
            "extract(epoch FROM avg(l.first_response_at - l.created_at) FILTER (WHERE l.lead_source = 'inbound'))::float8 / 3600 AS response_hours",
            lead_cols[6]], rep_first_ok=False)
        cte["mql"] = scan("leads", "l", "owner_rep_id", "mql_at", [
            "count(*) AS mqls", *mql_cols[1:],
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY l.sql_at::date - l.mql_at::date) AS sql_days_median"],
            rep_first_ok=False)

    # opportunities by creation (all of them, also those without created_at: the population)
    if population_from_opened:  # one scan: per month and owner, every row (the population)
        cte["opened_rep"] = f"""SELECT {month.format('o.created_at')} AS m, o.owner_rep_id,
    count(*) AS created, sum(o.amount) AS created_amount
  FROM opportunities o GROUP BY 1, 2"""
        cte["opened"] = f"""SELECT w.m{', r.region' if R else ''}, sum(w.created) AS created,
    sum(w.created_amount) AS created_amount
  FROM opened_rep w {"LEFT JOIN reps r ON r.rep_id = w.owner_rep_id" if R else ""}
  WHERE w.m IS NOT NULL GROUP BY 1{', 2' if R else ''}"""
    else:
        cte["opened"] = scan("opportunities", "o", "owner_rep_id", "created_at",
                             ["count(*) AS created", "sum(o.amount) AS created_amount"])
    closed_cols = [
        "count(*) AS closed_count", "sum(o.amount) AS closed_amount",
        f"count(*) FILTER (WHERE o.stage IN ({WON}, {LOST})) AS decided",
        f"count(*) FILTER (WHERE o.stage = {WON}) AS won",
        f"sum(o.amount) FILTER (WHERE o.stage = {WON}) AS won_amount",
        f"sum(o.amount) FILTER (WHERE o.stage = {LOST}) AS lost_amount",
        f"sum(o.closed_at::date - o.created_at::date) FILTER (WHERE o.stage = {WON}) AS cycle_sum",
        f"count(o.closed_at::date - o.created_at::date) FILTER (WHERE o.stage = {WON}) AS cycle_n",
        f"count(*) FILTER (WHERE o.stage = {WON} AND o.deal_type = 'expansion') AS upsells"]
    p90 = f"percentile_cont(0.9) WITHIN GROUP (ORDER BY o.amount) FILTER (WHERE o.stage = {WON}) AS p90"
    rj = "LEFT JOIN reps r ON r.rep_id = w.owner_rep_id"
    reg = ", r.region" if R else ""
    if won_rows:
        cte["closed"] = scan("opportunities", "o", "owner_rep_id", "closed_at", closed_cols)
        cte["won"] = f"""SELECT {month.format('o.closed_at')} AS m, o.owner_rep_id, o.account_id, o.amount
  FROM opportunities o WHERE o.closed_at IS NOT NULL AND o.stage = {WON}"""
        cte["p90"] = f"""SELECT w.m{reg}, percentile_cont(0.9) WITHIN GROUP (ORDER BY w.amount) AS p90
  FROM won w {rj if R else ''} GROUP BY 1{', 2' if R else ''}"""
        deals = "count(*)"
    elif parallel_safe_p90:
        cte["closed"] = scan("opportunities", "o", "owner_rep_id", "closed_at", closed_cols)
        cte["p90"] = scan("opportunities", "o", "owner_rep_id", "closed_at", [p90.replace(
            f" FILTER (WHERE o.stage = {WON})", "")], where=f"AND o.stage = {WON}", rep_first_ok=False)
    else:
        cte["closed"] = scan("opportunities", "o", "owner_rep_id", "closed_at",
                             closed_cols + [p90], rep_first_ok=False)
    if not won_rows:  # won deals per month, rep and account
        cte["won"] = f"""SELECT {month.format('o.closed_at')} AS m, o.owner_rep_id, o.account_id,
    count(*) AS deals, sum(o.amount) AS amount
  FROM opportunities o WHERE o.closed_at IS NOT NULL AND o.stage = {WON} GROUP BY 1, 2, 3"""
        deals = "sum(w.deals)"
    # deals won per month (and region) and account: accounts won, and repeat wins by name
    cte["per_account"] = f"""SELECT w.m{reg}, w.account_id, {deals} AS deals
  FROM won w {rj if R else ''} GROUP BY 1, 2{', 3' if R else ''}"""
    cte["accounts_won"] = f"SELECT m{g}, count(*) AS accounts FROM per_account GROUP BY m{g}"
    cte["per_rep"] = f"""SELECT w.m{reg}, r.rep_name, sum(w.amount) AS amount
  FROM won w {rj} GROUP BY 1, 2{', 3' if R else ''}"""
    cte["repeat_wins"] = f"""SELECT m{g}, count(*) AS accounts FROM (
    SELECT x.m{', x.region' if R else ''}, c.account_name FROM per_account x
    LEFT JOIN accounts c ON c.account_id = x.account_id
    GROUP BY 1, 2{', 3' if R else ''} HAVING sum(x.deals) > 1) AS y
  GROUP BY m{g}"""

    if not R:
        cte["nps"] = scan("nps_responses", "n", None, "responded_at", [
            "count(*) AS responses", "count(*) FILTER (WHERE n.score >= 9) AS promoters",
            "count(*) FILTER (WHERE n.score <= 6) AS detractors"])
        cte["events"] = scan("subscription_events", "e", None, "event_at", [
            "sum(e.mrr_delta) AS net_new",
            "sum(e.mrr_delta) FILTER (WHERE e.event_type = 'new') AS new",
            "sum(e.mrr_delta) FILTER (WHERE e.event_type = 'expansion') AS expansion",
            "sum(-e.mrr_delta) FILTER (WHERE e.event_type = 'contraction') AS contraction",
            "sum(-e.mrr_delta) FILTER (WHERE e.event_type = 'churn') AS churned"])
        cte["snapshots"] = """SELECT DISTINCT ON (m) date_trunc('month', day)::date AS m, mrr FROM (
    SELECT s.snapshot_date AS day, sum(s.mrr) AS mrr
    FROM mrr_snapshots s WHERE s.snapshot_date IS NOT NULL GROUP BY 1) AS d
  ORDER BY m, day DESC"""
        cte["started"] = scan("subscriptions", "s", None, "started_at", ["count(*) AS started"])
        cte["cancelled"] = scan("subscriptions", "s", None, "cancelled_at", ["count(*) AS cancelled"])

    # the spine: every month from the first to the last any scan found (x every region seen)
    ranged = [n for n in cte if n not in ("won", "per_rep", "lead_med", "mql_med", "p90",
                                          "act_cube", "lead_h", "mql_h", "per_account", "opened_rep",
                                          "accounts_won", "repeat_wins")]
    bounds = " UNION ALL ".join(f"SELECT min(m) AS lo, max(m) AS hi FROM {n}" for n in ranged)
    cte["spine"] = f"""SELECT generate_series(min(lo), max(hi), interval '1 month')::date AS m
  FROM ({bounds}) AS b"""
    base = "spine"
    if R:
        regions = " UNION ".join(f"SELECT region FROM {n}" for n in ranged)
        cte["grid"] = f"SELECT s.m, x.region FROM spine s CROSS JOIN ({regions}) AS x"
        base = "grid"
    # the population of the per-rep median: every rep with an opportunity, at any time
    cte["population"] = (f"SELECT DISTINCT r.rep_name{g} FROM reps r WHERE r.rep_id IN "
                         + ("(SELECT w.owner_rep_id FROM opened_rep w)" if population_from_opened
                            else "(SELECT o.owner_rep_id FROM opportunities o)"))
    # equality on the name, so the join hashes (a name is never empty in the population)
    same_rep = "x.rep_name = k.rep_name" + (" AND x.region IS NOT DISTINCT FROM k.region" if R else "")
    cte["rep_median"] = f"""SELECT s.m{', k.region' if R else ''},
    percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(x.amount, 0)) AS median_rep
  FROM spine s CROSS JOIN population k
  LEFT JOIN per_rep x ON x.m = s.m AND {same_rep}
  GROUP BY 1{', 2' if R else ''}"""

    joined = [n for n in cte if n not in ("won", "per_rep", "spine", "grid", "population",
                                          "act_cube", "lead_h", "mql_h", "per_account",
                                          "opened_rep")]

    def on(n: str) -> str:
        return f"{n}.m = g.m" + (f" AND {n}.region IS NOT DISTINCT FROM g.region" if R else "")

    part = "PARTITION BY g.region " if R else ""

    def run(expr: str, frame: str = "ROWS UNBOUNDED PRECEDING", by: str = "") -> str:
        p = ", ".join(x for x in ("g.region" if R else "", by) if x)
        return f"sum({expr}) OVER ({'PARTITION BY ' + p + ' ' if p else ''}ORDER BY g.m {frame})"

    def z(x: str) -> str:
        return f"coalesce({x}, 0)"

    def div(num: str, den: str) -> str:
        return f"({num})::float8 / nullif({den}, 0)"

    won, deals, decided = z("closed.won_amount"), z("closed.won"), z("closed.decided")
    win_rate = f"CASE WHEN {decided} >= 5 THEN {div(deals, decided)} END"
    deal_size = div(won, deals)
    cycle = div("closed.cycle_sum", "closed.cycle_n")
    prev = "lag(" + won + ", {}) OVER (" + part + "ORDER BY g.m)"
    back = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    pipe = f"{z('opened.created_amount')} - {z('closed.closed_amount')}"
    opps = f"{z('opened.created')} - {z('closed.closed_count')}"
    trailing = "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW"
    cols = {
        "calls_made": z("act.calls"), "emails_sent": z("act.emails"),
        "meetings_scheduled": z("act.meetings"), "follow_ups": z("act.follow_ups"),
        "email_open_rate": div("act.opened", "act.emails"),
        "click_through_rate": div("act.clicked", "act.emails"),
        "meeting_attendance_rate": div("act.attended", "act.meetings"),
        "leads_created": z("lead.leads"),
        "lead_conversion_rate": div("lead.converted", "lead.leads"),
        "lead_to_customer_90d": div("lead.won_90d", "lead.leads"),
        "lead_to_mql_30d": div("lead.mql_30d", "lead.leads"),
        "avg_days_lead_to_mql": "lead.mql_days",
        "median_days_lead_to_mql": ("lead_med" if medians == "histogram" else "lead") + ".mql_days_median",
        "inbound_response_hours": "lead.response_hours",
        "leads_followed_up_rate": div("lead.followed_up", "lead.leads"),
        "mql_to_sql_rate": div("mql.sqls", "mql.mqls"),
        "mql_to_sql_30d": div("mql.sql_30d", "mql.mqls"),
        "median_days_mql_to_sql": ("mql_med" if medians == "histogram" else "mql") + ".sql_days_median",
        "opportunities_created": z("opened.created"),
        "pipeline_created": z("opened.created_amount"),
        "win_rate": win_rate, "deals_won": deals, "won_revenue": won,
        "average_deal_size": deal_size, "sales_cycle_length": cycle,
        "p90_deal_size": ("p90" if parallel_safe_p90 or won_rows else "closed") + ".p90",
        "upsell_rate": div("closed.upsells", "closed.won"),
        "accounts_won": z("accounts_won.accounts"),
        "pipeline_lost": z("closed.lost_amount"),
        "open_pipeline": run(pipe), "open_pipeline_at_start": z(run(pipe, back)),
        "open_opportunities": run(opps),
        "pipeline_velocity": f"{z('opened.created')} * ({win_rate}) * ({deal_size}) / nullif({cycle}, 0)",
        "median_won_revenue_per_rep": "rep_median.median_rep",
        "accounts_with_repeat_wins": z("repeat_wins.accounts"),
        "won_revenue_growth": div(f"{won} - {prev.format(1)}", prev.format(1)),
        "won_revenue_yoy": div(f"{won} - {prev.format(12)}", prev.format(12)),
        "won_revenue_ytd": run(won, by="date_trunc('year', g.m)"),
        "won_revenue_qtd": run(won, by="date_trunc('quarter', g.m)"),
        "win_rate_trailing_3": f"CASE WHEN {run(decided, trailing)} >= 5 THEN "
                               f"{div(run(deals, trailing), run(decided, trailing))} END",
    }
    if R:
        cols["revenue_share_by_region"] = div(won, f"sum({won}) OVER (PARTITION BY g.m)")
    else:
        mrr = run(z("events.net_new"))
        mrr_start = z(run(z("events.net_new"), back))
        subs = run(f"{z('started.started')} - {z('cancelled.cancelled')}")
        subs_start = z(run(f"{z('started.started')} - {z('cancelled.cancelled')}", back))
        churn_rate = div(z("cancelled.cancelled"), subs_start)
        promoters = div("nps.promoters", "nps.responses")
        detractors = div("nps.detractors", "nps.responses")
        cols |= {
            "nps_promoters": promoters, "nps_detractors": detractors,
            "nps": f"100 * ({promoters} - {detractors})",
            "mrr": mrr, "mrr_at_start": mrr_start, "mrr_reported": "snapshots.mrr",
            "net_new_mrr": z("events.net_new"), "new_mrr": z("events.new"),
            "expansion_mrr": z("events.expansion"), "contraction_mrr": z("events.contraction"),
            "churned_mrr": z("events.churned"),
            "active_subscriptions": subs, "active_subscriptions_at_start": subs_start,
            "subscriptions_cancelled": z("cancelled.cancelled"),
            "customer_churn_rate": churn_rate,
            "revenue_churn_rate": div(f"{z('events.churned')} + {z('events.contraction')}", mrr_start),
            "net_revenue_retention": div(f"{mrr_start} + {z('events.expansion')} - "
                                         f"{z('events.contraction')} - {z('events.churned')}", mrr_start),
            "customer_lifetime_value": f"({div(mrr, subs)}) * 0.78 / nullif({churn_rate}, 0)",
        }
    keys = "g.m AS period" + (", g.region" if R else "")
    body = ",\n  ".join(f"{expr} AS {name}" for name, expr in cols.items())
    joins = "\n".join(f"LEFT JOIN {n} ON {on(n)}" for n in joined)
    with_ = ",\n".join(f"{n} AS (\n  {sql}\n)" for n, sql in cte.items())
    return (f"WITH {with_}\nSELECT {keys},\n  {body}\nFROM {base} g\n{joins}\n"
            f"ORDER BY g.m{', g.region' if R else ''}")


# The variants tried (``build``'s options); ``handwritten_postgres`` is the fastest of them.
VARIANTS: dict[str, dict] = {
    # FILTER aggregates in each scan, exact medians from day histograms, won deals kept as rows
    # (p90, per-account and per-rep sums from them), the median's population from the scan of
    # opportunities by creation (grouped by owner)
    "filter": {},
    # the same, but grouped won deals (month, rep, account) and a scan of its own for the
    # population, p90 in the scan of closed deals (a sort-based aggregate)
    "filter_grouped_won": {"won_rows": False, "population_from_opened": False},
    # activities grouped by month and the five columns the conditions read, counted after
    "cube": {"activities": "cube"},
    # percentile_cont over each scan's rows instead of the histograms
    "ordered_medians": {"medians": "ordered"},
    # by region: activities and opportunities aggregated per rep_id, reps joined after
    "rep_first": {"rep_first": True},
    # the scans' keys computed in the scan itself: the planner expects millions of groups
    "no_estimate_fence": {"estimate_fence": False},
}
FASTEST = "filter"
# Session settings for both (a) and (b): sorts and hashes of the scans stay in memory.
SESSION_OPTIONS = "-c work_mem=256MB"


def handwritten_postgres(by_region: bool) -> str:
    """The catalog at month grain (grouped by the owning rep's region) in PostgreSQL."""
    return build(by_region, **VARIANTS[FASTEST])


# -- (a) against (b) -----------------------------------------------------------------------------

def postgres_scenarios(project, data: Path, runs: int, url: str = DEFAULT_URL,
                       schema: str = "bench_1m", variant: str | None = None,
                       options: str = SESSION_OPTIONS) -> list[dict]:
    """Seed ``data`` into ``schema`` (once), then time (a) the engine's SQL for PostgreSQL and
    (b) :func:`handwritten_postgres` for the catalog at month grain and by region, on one
    session (``options``: the same settings for both), alternating which runs first, and
    check that they agree. Shaped like ``benchmark.scenario``: (c) is not run here."""
    from benchmark import Timer, differences
    from benchmark_expert import ALL_METRICS
    from sales_metrics.adapters.postgres import PostgresAdapter

    seeded = ensure_seeded(Path(data), schema, url)
    adapter = PostgresAdapter(root=ROOT, url=url, schema=schema, options=options)
    results = []
    try:
        for by in ([], ["region"]):
            names, skipped = project.runnable(project.catalog.metrics, grain="month", by=by)
            names = [n for n in names if n in ALL_METRICS]  # those (b) was written for
            engine_sql = project.compile(names, grain="month", by=by, dialect="postgres")
            hand_sql = build(bool(by), **VARIANTS[variant or FASTEST])
            keys = ["period", *by]
            a, b = adapter.execute(engine_sql), adapter.execute(hand_sql)  # warm-up, checks
            problems = {f"(b) {m}": why for m, why in differences(a, b, keys, names).items()}
            extra = sorted(set(b.column_names) - set(names) - set(keys))
            if extra:
                problems["(b) columns"] = f"computed by hand but not by the engine: {', '.join(extra)}"
            timers = {"a": Timer(), "b": Timer(), "c": Timer()}
            ways = {"a": lambda sql=engine_sql: adapter.execute(sql),
                    "b": lambda sql=hand_sql: adapter.execute(sql)}
            for run in range(runs):
                for way in (["a", "b"] if run % 2 == 0 else ["b", "a"]):
                    timers[way](ways[way])
            results.append({"by": by, "metrics": len(names), "skipped": len(skipped),
                            "rows": a.num_rows, "timers": timers, "problems": problems,
                            "seed": seeded})
    finally:
        adapter.close()
    return results


def engine_duckdb_vs_postgres(project, data: Path, url: str = DEFAULT_URL,
                              schema: str = "bench_1m") -> dict[str, dict[str, str]]:
    """The engine's own results on DuckDB (Parquet views of ``data``) against PostgreSQL."""
    from benchmark import differences
    from sales_metrics.adapters.duckdb import DuckDBAdapter
    from sales_metrics.adapters.postgres import PostgresAdapter

    duck = DuckDBAdapter(root=ROOT, data=str(data))
    pg = PostgresAdapter(root=ROOT, url=url, schema=schema)
    out = {}
    try:
        for by in ([], ["region"]):
            names, _ = project.runnable(project.catalog.metrics, grain="month", by=by)
            x = duck.execute(project.compile(names, grain="month", by=by))
            y = pg.execute(project.compile(names, grain="month", by=by, dialect="postgres"))
            out["by " + by[0] if by else "whole catalog"] = differences(
                x, y, ["period", *by], names)
    finally:
        duck.close()
        pg.close()
    return out


def main() -> None:
    import argparse

    from benchmark import seconds
    from sales_metrics.engine.project import load_project

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench1m"))
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--schema", default="bench_1m")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variant", default=FASTEST, choices=sorted(VARIANTS))
    parser.add_argument("--compare-duckdb", action="store_true",
                        help="also check the engine's DuckDB results equal its PostgreSQL ones")
    args = parser.parse_args()
    project = load_project(ROOT / "metrics")
    results = postgres_scenarios(project, args.data, args.runs, args.url, args.schema,
                                 variant=args.variant)
    seed = results[0]["seed"]
    print(f"Seed: {', '.join(f'{k} {v:,}' for k, v in seed['rows'].items())}; "
          + ("reused" if seed["reused"] else f"loaded in {seed['seconds']:.1f} s"))
    print("\n| request | metrics | rows | (a) engine | (b) hand-written | a/b |")
    print("| --- | ---: | ---: | --- | --- | ---: |")
    for r in results:
        t = r["timers"]
        print(f"| {'by ' + ', '.join(r['by']) if r['by'] else 'whole catalog'} | {r['metrics']} "
              f"| {r['rows']} | {seconds(t['a'])} | {seconds(t['b'])} | "
              f"{t['a'].median / t['b'].median:.2f} |")
    problems = [f"- {way}: {why}" for r in results for way, why in r["problems"].items()]
    print("\n" + ("Differences:\n" + "\n".join(problems) if problems else
                  "Checks: (a) = (b) for every metric and row (relative tolerance 1e-9)."))
    if args.compare_duckdb:
        for request, diff in engine_duckdb_vs_postgres(project, args.data, args.url,
                                                       args.schema).items():
            print(f"engine, DuckDB vs PostgreSQL, {request}: {diff or 'equal'}")


if __name__ == "__main__":
    main()
