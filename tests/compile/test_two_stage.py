"""Two-stage aggregation (engine/compile/stages.py): on DuckDB a scan whose filters test a
categorical column first groups by it, then applies the tests to the groups. Checked: when it
applies and when not, and the values against pandas on the sample data, including a type no
metric names, empty types, averages and sums over the groups."""

from __future__ import annotations

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
    # a percentile in the scan must read rows
    closed = ctes(project.compile(["p90_deal_size", "win_rate", "deals_won"], grain="month",
                                  **RANGE))
    assert not staged(closed["agg_opportunities_closed_at"])


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
