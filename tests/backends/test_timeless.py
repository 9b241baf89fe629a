"""Rows without time (`time: none`): a roster's counts, the deals open now, each the same in
every period and usable as a denominator; against pandas, on DuckDB and on the engines that
run here (SQLite, MariaDB, chdb)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from support import DATA_DIR

from sales_metrics import adapters, engine

DEFS = """\
sources:
  - name: reps
    table: reps
    key: rep_id
    time: none
    dimensions: {region: region}
  - name: open_deals
    table: opportunities
    time: none
    joins:
      - to: reps
        on: owner_rep_id = reps.rep_id
  - name: opportunities
    table: opportunities
    time: closed_at
    joins:
      - to: reps
        on: owner_rep_id = reps.rep_id
metrics:
  - name: reps_in_roster
    source: reps
    numerator: count(*)
  - name: open_now
    source: open_deals
    numerator: count(*)
    filters: ["closed_at is null"]
  - name: won_revenue
    source: opportunities
    numerator: sum(amount)
    filters: ["stage = 'won'"]
  - name: won_revenue_per_rep
    formula: won_revenue / reps_in_roster
"""
ENGINES = ["duck", "sqlite", "mysql", "chdb_conn"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeless")
    shutil.copytree(DATA_DIR, folder / "data")
    (folder / "project.yml").write_text(
        "name: timeless\nconnection: {data: data}\nlint: {missing-format: off, "
        "missing-label: off, missing-description: off, missing-owner: off}\n")
    (folder / "defs.yml").write_text(DEFS)
    return engine.load_project(folder)


@pytest.fixture(scope="module")
def duck(project):
    with adapters.connect(project) as conn:
        yield conn


@pytest.fixture(scope="module")
def frames():
    reps = pd.read_parquet(DATA_DIR / "reps.parquet")
    deals = pd.read_parquet(DATA_DIR / "opportunities.parquet").merge(
        reps[["rep_id", "region"]], how="left", left_on="owner_rep_id", right_on="rep_id")
    return reps, deals


def _conn(request, name):
    return request.getfixturevalue(name)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_roster_counts_by_region_are_the_same_every_period(request, project, frames,
                                                           engine_name):
    conn = _conn(request, engine_name)
    reps, deals = frames
    table = project.query(["reps_in_roster", "won_revenue", "won_revenue_per_rep"],
                          connection=conn, grain="quarter", by=["region"]).to_pandas()
    roster = reps.groupby("region").size()
    won = deals[(deals["stage"] == "won") & deals["closed_at"].notna()].copy()
    won["period"] = won["closed_at"].dt.to_period("Q").dt.start_time.dt.date
    revenue = won.groupby(["period", "region"])["amount"].sum()
    quarters = sorted(set(won["period"]))
    assert len(table) == len(quarters) * len(roster)
    for row in table.itertuples():
        assert pd.Timestamp(row.period).date() in quarters
        assert row.reps_in_roster == roster[row.region]
        want = revenue.get((pd.Timestamp(row.period).date(), row.region), 0)
        assert row.won_revenue == pytest.approx(want, rel=1e-9)
        assert row.won_revenue_per_rep == pytest.approx(want / roster[row.region], rel=1e-9)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_only_rows_without_time_give_one_row(request, project, frames, engine_name):
    conn = _conn(request, engine_name)
    reps, deals = frames
    rows = project.query(["reps_in_roster", "open_now"], connection=conn).to_pylist()
    assert rows == [{"period": None, "reps_in_roster": len(reps),
                     "open_now": int(deals["closed_at"].isna().sum())}]


def test_with_a_range_each_month_shows_the_count(project, duck, frames):
    reps, _ = frames
    rows = project.query(["reps_in_roster"], connection=duck, start="2025-01-01",
                         end="2025-03-31").to_pylist()
    assert [(str(r["period"]), r["reps_in_roster"]) for r in rows] == [
        ("2025-01-01", len(reps)), ("2025-02-01", len(reps)), ("2025-03-01", len(reps))]


def test_a_missing_time_names_the_choice(tmp_path):
    shutil.copytree(DATA_DIR, tmp_path / "data")
    (tmp_path / "project.yml").write_text("name: t\nconnection: {data: data}\n")
    (tmp_path / "defs.yml").write_text(DEFS.replace("    time: none\n    dimensions", "    "
                                                    "dimensions", 1))
    _, diagnostics = engine.check_project(tmp_path)
    errors = [d.message + "; " + (d.hint or "") for d in diagnostics if d.severity == "error"]
    assert errors == ["metric 'reps_in_roster' has no time column; add 'time: <column>' to the "
                      "metric or to source 'reps' ('time: none' for rows without time, such as "
                      "a roster)"]
