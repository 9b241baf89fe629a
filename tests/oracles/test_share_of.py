"""`share_of`: a metric's share of its total across dimensions, against pandas.

The expected shares are computed here from the Parquet files: won deals joined to their rep
(a deal whose owner is not in the roster has no region: its own group), bucketed by the
close date's year or quarter, every period x group of the grid present (0 where a group has
no rows), each value over the sum of the values that differ only in the `across` dimensions.
"""

from __future__ import annotations

import math
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
    dimensions: {region: region, team: team}
  - name: opportunities
    table: opportunities
    time: closed_at
    joins:
      - to: reps
        on: owner_rep_id = reps.rep_id
    dimensions: {product: product, lead_source: lead_source}
metrics:
  - name: won_revenue
    source: opportunities
    numerator: sum(amount)
    filters: ["stage = 'won'"]
  - name: deals_won
    source: opportunities
    numerator: count(*)
    filters: ["stage = 'won'"]
  - name: win_rate
    source: opportunities
    numerator: count(*)
    denominator: count(*)
    numerator_filters: ["stage = 'won'"]
    filters: ["stage in ('won', 'lost')"]
  - name: revenue_share_by_region
    share_of: won_revenue
    across: [region]
  - name: deal_share
    share_of: deals_won
  - name: bad_share
    share_of: win_rate
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("share")
    shutil.copytree(DATA_DIR, folder / "data")
    (folder / "project.yml").write_text("name: shares\nconnection: {data: data}\n"
                                        "lint: {missing-format: off, missing-label: off, "
                                        "missing-description: off, missing-owner: off}\n")
    (folder / "defs.yml").write_text(DEFS.replace("  - name: bad_share\n"
                                                  "    share_of: win_rate\n", ""))
    return engine.load_project(folder)


@pytest.fixture(scope="module")
def duck(project):
    with adapters.connect(project) as conn:
        yield conn


@pytest.fixture(scope="module")
def won():
    deals = pd.read_parquet(DATA_DIR / "opportunities.parquet")
    reps = pd.read_parquet(DATA_DIR / "reps.parquet")[["rep_id", "region", "team"]]
    deals = deals.merge(reps, how="left", left_on="owner_rep_id", right_on="rep_id")
    return deals[(deals["stage"] == "won") & deals["closed_at"].notna()]


def expected(won, value: str, by: list[str], across: list[str], freq: str,
             start=None, end=None) -> pd.DataFrame:
    d = won.copy()
    d["period"] = d["closed_at"].dt.to_period(freq)
    if start:  # a range is widened to whole periods (README: ranges)
        d = d[d["period"] >= pd.Period(start, freq)]
    if end:
        d = d[d["period"] <= pd.Period(end, freq)]
    for col in by:
        d[col] = d[col].fillna("<null>")
    measure = d.groupby(["period", *by])["amount"].sum() if value == "sum" else \
        d.groupby(["period", *by]).size()
    first = pd.Period(start, freq) if start else d["period"].min()
    last = pd.Period(end, freq) if end else d["period"].max()
    combos = sorted(set(map(tuple, d[by].drop_duplicates().values.tolist())))
    rows = [(p, *c) for p in pd.period_range(first, last, freq=freq) for c in combos]
    grid = pd.DataFrame(rows, columns=["period", *by])
    grid["value"] = [float(measure.get(tuple(r), 0)) for r in rows]
    keep = ["period"] + [b for b in by if b not in across]
    grid["total"] = grid.groupby(keep)["value"].transform("sum")
    grid["share"] = [v / t if t else None for v, t in zip(grid["value"], grid["total"])]
    grid["period"] = [p.start_time.date() for p in grid["period"]]
    return grid


def assert_shares(table, want, by, column):
    got = table.to_pandas()
    assert len(got) == len(want)
    got_keys = [tuple("<null>" if v is None else v for v in row)
                for row in got[["period", *by]].itertuples(index=False)]
    assert got_keys == [tuple(r) for r in want[["period", *by]].itertuples(index=False)]
    for g, w in zip(got[column], want["share"]):
        if w is None:
            assert g is None or math.isnan(g)
        else:
            assert g == pytest.approx(w, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("grain, freq", [("year", "Y"), ("quarter", "Q")])
def test_revenue_share_by_region_within_each_product(project, duck, won, grain, freq):
    by = ["region", "product"]
    table = project.query(["revenue_share_by_region"], connection=duck, grain=grain, by=by)
    assert_shares(table, expected(won, "sum", by, ["region"], freq), by,
                  "revenue_share_by_region")


def test_shares_of_a_region_add_up_to_one_where_there_is_revenue(project, duck):
    table = project.query(["revenue_share_by_region", "won_revenue"], connection=duck,
                          grain="year", by=["region", "product"]).to_pandas()
    sums = table.groupby(["period", "product"]).agg(share=("revenue_share_by_region", "sum"),
                                                    revenue=("won_revenue", "sum"))
    for (_, _), row in sums.iterrows():
        assert row["share"] == pytest.approx(1.0 if row["revenue"] else 0.0)


def test_share_of_the_whole_period_with_a_range_and_two_dimensions(project, duck, won):
    by = ["region", "team"]
    table = project.query(["deal_share"], connection=duck, grain="quarter", by=by,
                          start="2024-05-15", end="2025-02-10")
    assert_shares(table, expected(won, "count", by, by, "Q", "2024-05-15", "2025-02-10"), by,
                  "deal_share")


def test_a_share_with_where_is_of_the_filtered_total(project, duck, won):
    table = project.query(["revenue_share_by_region"], connection=duck, grain="year",
                          by=["region"], where=["product = 'Enterprise'"])
    want = expected(won[won["product"] == "Enterprise"], "sum", ["region"], ["region"], "Y")
    assert_shares(table, want, ["region"], "revenue_share_by_region")


def test_a_share_needs_its_dimensions_in_the_request(project):
    with pytest.raises(engine.UsageError, match=r"across region; group by it: --by region"):
        project.compile(["revenue_share_by_region"], grain="year", by=["product"])
    with pytest.raises(engine.UsageError, match=r"--by <dimension>"):
        project.compile(["deal_share"], grain="year")


def test_a_share_of_a_rate_is_refused_where_it_is_defined(tmp_path):
    shutil.copytree(DATA_DIR, tmp_path / "data")
    (tmp_path / "project.yml").write_text("name: shares\nconnection: {data: data}\n")
    (tmp_path / "defs.yml").write_text(DEFS + "  - name: odd_share\n"
                                       "    share_of: won_revenue\n"
                                       "    across: [regoin]\n")
    _, diagnostics = engine.check_project(tmp_path)
    errors = [(d.code, d.span.line, d.span.col) for d in diagnostics if d.severity == "error"]
    lines = DEFS.splitlines()
    bad = next(i for i, line in enumerate(lines, 1) if "share_of: win_rate" in line)
    assert errors == [("share-not-additive", bad, 15), ("unknown-dimension", len(lines) + 3, 14)]

