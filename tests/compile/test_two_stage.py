"""Two-stage aggregation (engine/compile/stages.py): on DuckDB a scan whose filters test a
categorical column first groups by it, then applies the tests to the groups. Checked: when it
applies and when not, and the values against pandas on the sample data, including a type no
metric names, empty types, averages and sums over the groups."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from sales_metrics.engine.project import load_project
from support import DATA_DIR

RANGE = {"start": "2024-01-01", "end": "2025-12-31"}


def ctes(sql: str) -> dict[str, exp.Expression]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return {c.alias: c.this for c in tree.args["with_"].expressions}


def staged(body: exp.Expression) -> bool:
    return any(s.alias == "stage1" for s in body.find_all(exp.Subquery))


def test_activities_group_by_type_first_on_duckdb_only(project):
    names = ["calls_made", "emails_sent", "email_open_rate", "meeting_attendance_rate"]
    duck = ctes(project.compile(names, grain="month", **RANGE))
    assert staged(duck["agg_activities_occurred_at"])
    first = next(s for s in duck["agg_activities_occurred_at"].find_all(exp.Subquery)
                 if s.alias == "stage1").this
    assert [g.sql() for g in first.args["group"].expressions][-1] == "activities.activity_type"
    pg = ctes(project.compile(names, grain="month", dialect="postgres", **RANGE))
    assert not staged(pg["agg_activities_occurred_at"])


def test_one_stage_where_it_would_not_pay_or_not_add_up(project):
    # one value of a column named (lead_source = 'inbound'): it may name one thing of many
    leads = ctes(project.compile(["inbound_response_hours", "leads_created"], grain="month",
                                 **RANGE))
    assert not staged(leads["agg_leads_created_at"])
    # a percentile reads rows: alone in its scan, where nothing else can be staged
    alone = ctes(project.compile(["p90_deal_size"], grain="month", **RANGE))
    assert not staged(alone["agg_opportunities_closed_at"])
    # a median whose scan has no categorical test stays with it: one read of the leads
    medians = ctes(project.compile(["median_days_lead_to_mql", "leads_created"],
                                   grain="month", **RANGE))
    assert set(medians) >= {"agg_leads_created_at"} and "agg_leads_created_at_rows" not in \
        medians and not staged(medians["agg_leads_created_at"])


CLOSED = ["p90_deal_size", "win_rate", "deals_won", "accounts_won", "sales_cycle_length",
          "upsell_rate"]


def test_a_percentile_moves_apart_so_the_rest_is_staged(project):
    """The 90th percentile of won amounts would keep the closed deals' scan reading every
    row; it moves to the scan that reads the won deals apart (with the distinct count of
    accounts won), and on DuckDB the rest groups by (month, stage) first; on PostgreSQL it
    goes apart too and the rest hashes its groups in one stage."""
    duck = ctes(project.compile(CLOSED, grain="month", **RANGE))
    assert staged(duck["agg_opportunities_closed_at"])
    apart = duck["agg_opportunities_closed_at_rows"]
    aggregates = {type(a).__name__ for a in apart.find_all(exp.AggFunc)}
    assert aggregates == {"Count", "PercentileCont"}, aggregates
    assert "stage = 'won'" in apart.args["where"].sql()  # its filter in WHERE, not per row
    # PostgreSQL sorts a whole scan for one distinct count or percentile: they go apart
    # too (hash_apart), and the rest hashes its groups in one stage
    pg = ctes(project.compile(CLOSED, grain="month", dialect="postgres", **RANGE))
    assert not staged(pg["agg_opportunities_closed_at"])
    kinds = {type(a).__name__ for a in pg["agg_opportunities_closed_at"].find_all(exp.AggFunc)}
    assert kinds <= {"Count", "Sum", "Avg", "Min", "Max"}, kinds
    assert {type(a).__name__ for a in pg["agg_opportunities_closed_at_rows"].find_all(
        exp.AggFunc)} == {"Count", "PercentileCont"}
    # where neither gains, nothing moves: SQLite has no two stages and does not sort apart
    lite = ctes(project.compile(["accounts_won", "deals_won"], grain="month",
                                dialect="sqlite", **RANGE))
    assert "agg_opportunities_closed_at_rows" not in lite


@pytest.mark.parametrize("engine", ["duck", "pg"])
def test_closed_deals_split_apart_equal_pandas(project, frames, engine, request):
    """The split scans' values against pandas, by month and by the owner's region, on DuckDB
    (staged) and PostgreSQL (hashed)."""
    import pandas as pd

    conn = request.getfixturevalue(engine)
    dialect = "postgres" if engine == "pg" else "duckdb"

    deals = frames["opportunities"].merge(frames["reps"][["rep_id", "region"]],
                                          left_on="owner_rep_id", right_on="rep_id",
                                          how="left")
    deals = deals[deals.closed_at.notna()]
    deals = deals[(deals.closed_at >= RANGE["start"]) & (deals.closed_at < "2026-01-01")]
    deals["period"] = deals.closed_at.dt.to_period("M").dt.start_time.dt.date
    for by in ([], ["region"]):
        sql = project.compile(CLOSED, grain="month", by=by, dialect=dialect, **RANGE)
        assert "agg_opportunities_closed_at_rows" in ctes(sql)
        got = conn.execute(sql).to_pandas()
        got["period"] = pd.to_datetime(got.period).dt.date
        got = got.set_index(["period", *by])
        checked = 0
        for key, rows in deals.groupby(["period", *by], dropna=False):
            row = got.loc[key if len(key) > 1 else key[0]]
            won = rows[rows.stage == "won"]
            closed = rows[rows.stage.isin(["won", "lost"])]
            assert row["deals_won"] == len(won)
            assert row["accounts_won"] == won.account_id.dropna().nunique()
            p90 = won.amount.dropna().quantile(0.9) if won.amount.notna().any() else None
            assert (p90 is None and pd.isna(row["p90_deal_size"])) or \
                abs(row["p90_deal_size"] - p90) <= 1e-9 * abs(p90)
            days = (won.closed_at.dt.normalize() - won.created_at.dt.normalize()).dt.days
            cycle = days.mean() if days.notna().any() else None
            assert (cycle is None and pd.isna(row["sales_cycle_length"])) or \
                abs(row["sales_cycle_length"] - cycle) <= 1e-9 * max(1, abs(cycle))
            expansion = (won.deal_type == "expansion").sum()
            assert (not len(won) and pd.isna(row["upsell_rate"])) or \
                abs(row["upsell_rate"] - expansion / len(won)) < 1e-12
            if len(closed) >= 5:  # the catalog's win rate needs five closed deals
                assert abs(row["win_rate"] - len(won) / len(closed)) < 1e-12
            checked += 1
        assert checked >= 24 * (1 if not by else 3)


def test_values_equal_pandas_by_type(tmp_path):
    """A project of its own: activity counts by type, an average and a sum over a flag, the
    rate of a type the data lacks; grouped by month and by the rep's region."""
    import pandas as pd

    (tmp_path / "project.yml").write_text(
        f"name: staged\ndialect: duckdb\nconnection: {{type: duckdb, data: {DATA_DIR}}}\n"
        f"allowed_paths: [{DATA_DIR}]\n")
    (tmp_path / "metrics.yml").write_text("""\
sources:
  - name: activities
    table: activities
    time: occurred_at
    key: activity_id
    dimensions: {region: reps.region}
    joins: [{to: reps, on: "rep_id = reps.rep_id"}]
  - name: reps
    table: reps
    time: none
    key: rep_id
metrics:
  - {name: calls, source: activities, numerator: count(*), filters: ["activity_type = 'call'"]}
  - {name: meetings, source: activities, numerator: count(*),
     filters: ["activity_type in ('meeting')"]}
  - {name: not_calls, source: activities, numerator: count(*),
     filters: ["activity_type <> 'call'"]}
  - {name: faxes, source: activities, numerator: count(*), filters: ["activity_type = 'fax'"]}
  - {name: meeting_minutes, source: activities, numerator: avg(duration_minutes),
     filters: ["activity_type = 'meeting'", "meeting_attended"]}
  - {name: email_minutes, source: activities, numerator: sum(duration_minutes),
     filters: ["activity_type = 'email'"]}
  - {name: open_rate, source: activities, numerator: count(*), denominator: count(*),
     filters: ["activity_type = 'email'"], numerator_filters: [email_opened], format: percent}
""")
    project = load_project(tmp_path)
    names = ["calls", "meetings", "not_calls", "faxes", "meeting_minutes", "email_minutes",
             "open_rate"]
    from sales_metrics import adapters

    frame = pd.read_parquet(DATA_DIR / "activities.parquet").merge(
        pd.read_parquet(DATA_DIR / "reps.parquet")[["rep_id", "region"]], on="rep_id",
        how="left")
    frame = frame[frame.occurred_at.notna()]
    frame["period"] = frame.occurred_at.dt.to_period("M").dt.start_time.dt.date
    with adapters.connect(project) as conn:
        for by in ([], ["region"]):
            sql = project.compile(names, grain="month", by=by)
            assert staged(ctes(sql)["agg_activities_occurred_at"])
            got = conn.execute(sql).to_pandas().set_index(["period", *by])
            for key, rows in frame.groupby(["period", *by], dropna=False):
                key = key if isinstance(key, tuple) else (key,)
                row = got.loc[key if len(key) > 1 else key[0]]
                kind = rows.activity_type
                emails = rows[kind == "email"]
                attended = rows[(kind == "meeting") & rows.meeting_attended.fillna(False)]
                assert row["calls"] == (kind == "call").sum()
                assert row["meetings"] == (kind == "meeting").sum()
                assert row["not_calls"] == (kind.notna() & (kind != "call")).sum()
                assert row["faxes"] == 0
                want = attended.duration_minutes.mean()
                assert (pd.isna(row["meeting_minutes"]) and pd.isna(want)) or \
                    abs(row["meeting_minutes"] - want) < 1e-9 * max(1, abs(want))
                assert row["email_minutes"] == emails.duration_minutes.sum() or \
                    (len(emails.duration_minutes.dropna()) == 0 and pd.isna(row["email_minutes"]))
                rate = emails.email_opened.fillna(False).sum() / len(emails) if len(emails) \
                    else None
                assert (rate is None and pd.isna(row["open_rate"])) or \
                    abs(row["open_rate"] - rate) < 1e-12


HISTOGRAM_METRICS = """\
sources:
  - name: leads
    table: leads
    time: created_at
    key: lead_id
    empty_time: quiet
    dimensions: {lead_source: "coalesce(lead_source, 'unknown')", region: reps.region}
    joins: [{to: reps, on: "owner_rep_id = reps.rep_id"}]
  - name: reps
    table: reps
    time: none
    key: rep_id
metrics:
  - {name: leads, source: leads, numerator: count(*)}
  - {name: days_median, source: leads, filters: ["mql_at is not null"],
     numerator: "median(date_diff('day', cast(created_at as date), cast(mql_at as date)))"}
  - {name: days_p90, source: leads, filters: ["mql_at is not null"],
     numerator: "quantile_cont(date_diff('day', cast(created_at as date), cast(mql_at as date)), 0.9)"}
  - {name: days_p25, source: leads, filters: ["mql_at is not null"],
     numerator: "quantile_cont(date_diff('day', cast(created_at as date), cast(mql_at as date)), 0.25)"}
  - {name: days_avg, source: leads, filters: ["mql_at is not null"],
     numerator: "avg(date_diff('day', cast(created_at as date), cast(mql_at as date)))"}
  - {name: inbound, source: leads, numerator: count(*), filters: ["lead_source = 'inbound'"]}
"""


def test_day_percentiles_from_a_histogram_on_postgres_equal_pandas(tmp_path, pg, frames):
    """On PostgreSQL a scan whose median or percentiles read whole days groups by the day
    count first (compile/stages.py: histogram); the values against pandas' linear
    interpolation (what PERCENTILE_CONT computes), by month, by lead source (a dimension
    the scan computes) and by the owner's region (a join), with empty periods."""
    import pandas as pd

    (tmp_path / "project.yml").write_text("name: hist\ndialect: duckdb\n")
    (tmp_path / "metrics.yml").write_text(HISTOGRAM_METRICS)
    project = load_project(tmp_path)
    names = ["leads", "days_median", "days_p90", "days_p25", "days_avg", "inbound"]
    leads = frames["leads"].merge(frames["reps"][["rep_id", "region"]],
                                  left_on="owner_rep_id", right_on="rep_id", how="left")
    leads = leads[leads.created_at.notna()].copy()
    leads["period"] = leads.created_at.dt.to_period("M").dt.start_time.dt.date
    leads["lead_source"] = leads.lead_source.fillna("unknown")
    days = (leads.mql_at.dt.normalize() - leads.created_at.dt.normalize()).dt.days
    leads["days"] = days
    checked = 0
    for by in ([], ["lead_source"], ["region"]):
        sql = project.compile(names, grain="month", by=by, dialect="postgres")
        assert "hist_cum" in sql and "PERCENTILE_CONT" not in sql.upper()
        got = pg.execute(sql).to_pandas()
        got["period"] = pd.to_datetime(got.period).dt.date
        got = got.set_index(["period", *by])
        for key, rows in leads.groupby(["period", *by], dropna=False):
            row = got.loc[key if len(key) > 1 else key[0]]
            values = rows.days.dropna()
            assert row["leads"] == len(rows)
            assert row["inbound"] == (rows.lead_source == "inbound").sum()
            for name, q in (("days_median", 0.5), ("days_p90", 0.9), ("days_p25", 0.25)):
                want = values.quantile(q) if len(values) else None
                assert (want is None and pd.isna(row[name])) or \
                    abs(float(row[name]) - want) <= 1e-9 * max(1, abs(want)), (key, name)
            want = values.mean() if len(values) else None
            assert (want is None and pd.isna(row["days_avg"])) or \
                abs(float(row["days_avg"]) - want) <= 1e-9 * max(1, abs(want))
            checked += 1
    assert checked > 24 * 3


def test_a_histogram_only_for_day_counts(tmp_path):
    """An amount's percentile could take as many values as rows: it stays an ordered-set
    aggregate; so does a scan with two different day counts, and DuckDB never does this."""
    (tmp_path / "project.yml").write_text("name: hist\ndialect: duckdb\n")
    (tmp_path / "metrics.yml").write_text(HISTOGRAM_METRICS + """\
  - {name: days_to_sql, source: leads, filters: ["sql_at is not null"],
     numerator: "median(date_diff('day', cast(created_at as date), cast(sql_at as date)))"}
  - {name: hours_median, source: leads,
     numerator: "median(epoch(first_response_at) - epoch(created_at))"}
  - {name: seconds_median, source: leads, filters: ["mql_at is not null"],
     numerator: "median(date_diff('second', created_at, mql_at))"}
""")
    project = load_project(tmp_path)
    assert "hist_cum" in project.compile(["days_median", "days_p90", "leads"], grain="month",
                                         dialect="postgres")
    for names in (["days_median", "days_to_sql"], ["hours_median", "leads"],
                  ["seconds_median", "leads"]):
        assert "hist_cum" not in project.compile(names, grain="month", dialect="postgres")
    assert "hist_cum" not in project.compile(["days_median", "leads"], grain="month")
    assert "hist_cum" not in project.compile(["days_median"], grain="all", dialect="postgres")
