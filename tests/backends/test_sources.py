"""Source kinds and joins, each checked against pandas on the sample data.

A small project is written per test: `sql:` and `path:` (Parquet and CSV) sources, a
dimension two joins away, dotted dimension paths, ambiguity, and the project's calendar.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sales_metrics import adapters
from sales_metrics import engine

from support import ROOT  # noqa: E402
DATA = ROOT / "examples" / "data"


def write_project(tmp_path: Path, definitions: str, settings: str = "") -> engine.Project:
    (tmp_path / "project.yml").write_text(
        f"name: t\nconnection: {{type: duckdb, data: '{DATA}'}}\nallowed_paths: ['{DATA}']\n"
        f"{settings}")
    (tmp_path / "defs.yml").write_text(definitions)
    return engine.load_project(tmp_path)


def run(project: engine.Project, metrics: list[str], **options) -> pd.DataFrame:
    with adapters.connect(project) as conn:
        return project.query(metrics, connection=conn, **options).to_pandas()


def months(series: pd.Series) -> pd.Series:
    return series.dt.to_period("M").dt.start_time.dt.date


def test_sql_source(tmp_path, frames):
    project = write_project(tmp_path, """
sources:
  - name: big_deals
    sql: select * from opportunities where amount >= 50000
    time: created_at
metrics:
  - name: big_deals_created
    source: big_deals
    numerator: count(*)
""")
    got = run(project, ["big_deals_created"], grain="month")
    opps = frames["opportunities"]
    big = opps[opps.amount >= 50000]
    want = big.groupby(months(big.created_at)).size()
    assert dict(zip(got.period, got.big_deals_created)) == {p: want.get(p, 0) for p in got.period}
    assert sum(got.big_deals_created) == len(big)


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_path_source(tmp_path, frames, suffix):
    opps = frames["opportunities"]
    if suffix == "csv":
        opps.to_csv(tmp_path / "opps.csv", index=False)
    else:
        opps.to_parquet(tmp_path / "opps.parquet")
    project = write_project(tmp_path, f"""
sources:
  - name: opps
    path: opps.{suffix}
    time: closed_at
metrics:
  - name: won
    source: opps
    numerator: sum(amount)
    filters: ["stage = 'won'"]
""")
    got = run(project, ["won"], grain="quarter")
    won = opps[opps.stage == "won"]
    want = won.groupby(won.closed_at.dt.to_period("Q").dt.start_time.dt.date).amount.sum()
    for period, value in zip(got.period, got.won):
        assert math.isclose(value, want.get(period, 0.0), rel_tol=1e-9)


NESTED = """
sources:
  - name: opportunities
    table: opportunities
    time: created_at
    key: opportunity_id
    joins:
      - to: accounts
        on: account_id = accounts.account_id
      - to: reps
        on: owner_rep_id = reps.rep_id
  - name: accounts
    table: accounts
    key: account_id
    dimensions: {segment: segment, region: region}
    joins:
      - to: reps
        name: account_owner
        on: owner_rep_id = account_owner.rep_id
  - name: reps
    table: reps
    key: rep_id
    dimensions: {team: team, region: region}
metrics:
  - name: opportunities_created
    source: opportunities
    numerator: count(*)
"""


def test_dimension_two_joins_away(tmp_path, frames):
    project = write_project(tmp_path, NESTED)
    got = run(project, ["opportunities_created"], grain="year",
              by=["accounts.account_owner.team"])
    o, a, r = frames["opportunities"], frames["accounts"], frames["reps"]
    merged = o.merge(a[["account_id", "owner_rep_id"]].rename(
        columns={"owner_rep_id": "account_owner_id"}), on="account_id", how="left")
    merged = merged.merge(r[["rep_id", "team"]], left_on="account_owner_id", right_on="rep_id",
                          how="left")
    want = merged.groupby([merged.created_at.dt.year, "team"]).size()
    got_map = {(p.year, t): n for p, t, n in got.itertuples(index=False)}
    assert got_map == {k: int(v) for k, v in want.items()} | {
        k: 0 for k in got_map if k not in want}
    assert sum(got.opportunities_created) == len(o)  # grouping through joins adds no rows


def test_ambiguous_dimension_needs_a_path(tmp_path):
    project = write_project(tmp_path, NESTED)
    with pytest.raises(engine.UsageError, match="dimension 'region' is reachable from source "
                       "'opportunities' in more than one way; name the path: accounts.region, "
                       "accounts.account_owner.region, reps.region"):
        project.compile(["opportunities_created"], by=["region"])
    assert "reps.region" in project.compile(["opportunities_created"], by=["reps.region"])


def test_unused_joins_are_left_out(project):
    sql = project.compile(["win_rate"], by=["lead_source"])
    assert "JOIN reps" not in sql and "JOIN accounts" not in sql
    assert "LEFT JOIN reps" in project.compile(["win_rate"], by=["region"])


def test_fiscal_year_and_week_start(tmp_path, frames):
    project = write_project(tmp_path, NESTED, "fiscal_year_start_month: 4\nweek_start: sunday\n")
    o = frames["opportunities"]
    got = run(project, ["opportunities_created"], grain="quarter")
    # fiscal quarters start in April, July, October and January
    fq = (o.created_at.dt.to_period("Q-MAR")).dt.start_time.dt.date
    assert dict(zip(got.period, got.opportunities_created)) == fq.value_counts().to_dict()
    assert {p.month for p in got.period} <= {1, 4, 7, 10}
    weeks = run(project, ["opportunities_created"], grain="week")
    assert {p.weekday() for p in weeks.period} == {6}  # Sundays
    sunday = (o.created_at.dt.normalize() - pd.to_timedelta((o.created_at.dt.day_of_week + 1) % 7,
                                                            unit="D")).dt.date
    want = sunday.value_counts()
    assert all(weeks.opportunities_created == [want.get(p, 0) for p in weeks.period])


CROSS = """
sources:
  - name: opportunities
    table: opportunities
    time: closed_at
    key: opportunity_id
    dimensions: {product: product}
    joins: [{to: reps, on: owner_rep_id = reps.rep_id}]
  - name: activities
    table: activities
    time: occurred_at
    key: activity_id
    joins: [{to: reps, on: rep_id = reps.rep_id}]
  - name: reps
    table: reps
    key: rep_id
    dimensions: {region: region}
metrics:
  - name: deals_per_meeting
    source: opportunities
    numerator: count(*)
    numerator_filters: ["stage = 'won'"]
    denominator:
      source: activities
      expr: count(*)
      filters: ["activity_type = 'meeting'"]
"""


def test_measure_on_another_source(tmp_path, frames):
    """Won deals (by close month) over meetings held (by meeting month), aligned on period
    and on the dimension both sources share."""
    project = write_project(tmp_path, CROSS)
    got = run(project, ["deals_per_meeting"], grain="month", by=["region"])
    o, a, r = frames["opportunities"], frames["activities"], frames["reps"][["rep_id", "region"]]
    won = o[o.stage == "won"].merge(r, left_on="owner_rep_id", right_on="rep_id")
    meetings = a[a.activity_type == "meeting"].merge(r, on="rep_id")
    num = won.groupby([months(won.closed_at), "region"]).size()
    den = meetings.groupby([months(meetings.occurred_at), "region"]).size()
    assert len(got) > 40
    for period, region, value in got.itertuples(index=False):
        n, d = num.get((period, region), 0), den.get((period, region), 0)
        assert (value is None or math.isnan(value)) if d == 0 else math.isclose(value, n / d)
    with pytest.raises(engine.UsageError, match="source 'activities' has no dimension "
                       "'product'"):
        project.compile(["deals_per_meeting"], by=["product"])


def test_filter_on_a_joined_source_without_dimensions(tmp_path, frames):
    project = write_project(tmp_path, """
sources:
  - name: opportunities
    table: opportunities
    time: created_at
    joins: [{to: accounts, on: account_id = accounts.account_id}]
  - name: accounts
    table: accounts
    key: account_id
metrics:
  - name: enterprise_opportunities
    source: opportunities
    numerator: count(*)
    filters: ["accounts.segment = 'Enterprise'"]
""")
    got = run(project, ["enterprise_opportunities"], grain="year")
    o, a = frames["opportunities"], frames["accounts"]
    merged = o.merge(a[["account_id", "segment"]], on="account_id")
    want = merged[merged.segment == "Enterprise"].groupby(merged.created_at.dt.year).size()
    assert {p.year: n for p, n in zip(got.period, got.enterprise_opportunities)} == want.to_dict()
