"""`--grain all`: one row for the whole range, against pandas.

Two independent references: the pandas oracle of every catalog KPI at year grain (a range of
exactly one calendar year is one year period), and sums, counts and ratios over the whole
sample computed here from the Parquet files. Every engine also runs the catalog at grain
all against DuckDB (tests/backends/test_every_engine.py)."""

from __future__ import annotations

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from support import DATA_DIR
from support.oracle_kpis import ORACLES, enrich, expected, mismatches

from sales_metrics import engine
from sales_metrics.engine.model import BalanceMetric, ComparisonMetric, CumulativeMetric

YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
WINDOWED = (ComparisonMetric, CumulativeMetric, BalanceMetric)


@pytest.fixture(scope="module")
def src(frames):
    return enrich(frames)


def _offered(project, by=()) -> list[str]:
    out = []
    for name in sorted(ORACLES):
        try:
            project.compile([name], grain="all", by=list(by), **YEAR)
        except engine.UsageError:
            continue
        out.append(name)
    return out


def test_windows_are_refused_and_everything_else_offered(project):
    """A metric is refused at grain all only for a window (its own or an input's), in one
    line that says why."""
    for name, metric in project.metrics.items():
        try:  # a share is across its dimensions: asked with them
            project.compile([name], grain="all", by=getattr(metric, "across", None) or [],
                            **YEAR)
        except engine.UsageError as err:
            assert "--grain all has one period" in str(err), (name, str(err))
        else:
            assert not isinstance(metric, WINDOWED), name


@pytest.mark.parametrize("by", [(), ("region",)], ids=["plain", "by-region"])
def test_one_year_range_equals_the_year_oracle(project, duck, src, by):
    names = [n for n in _offered(project) + _offered(project, ("region",)) if n]
    assert len(names) > 30
    problems = []
    for name in sorted(set(names)):
        allowed = project.catalog.allowed_dimensions(name)
        if by and allowed is not None and not set(by) <= set(allowed):
            continue  # not groupable by region (subscriptions have no rep)
        if not by and getattr(project.metrics[name], "across", None):
            continue  # a share needs its --by
        table = project.query([name], connection=duck, grain="all", by=list(by), **YEAR)
        want = expected(src, [name], "year", by, **YEAR)
        problems += [f"{name}: {p}" for p in mismatches(table, want)[:3]]
    assert not problems, "\n".join(problems)


def test_the_whole_sample_by_hand(project, duck):
    deals = pq.read_table(DATA_DIR / "opportunities.parquet")
    closed = deals.filter(pc.is_valid(deals["closed_at"]))
    won = closed.filter(pc.equal(closed["stage"], "won"))
    lost = closed.filter(pc.equal(closed["stage"], "lost"))
    table = project.query(["deals_won", "won_revenue", "win_rate", "opportunities_created"],
                          connection=duck, grain="all").to_pylist()
    assert len(table) == 1
    row = table[0]
    assert row["period"] is None  # the data's whole range has no first day known up front
    assert row["deals_won"] == won.num_rows
    assert row["won_revenue"] == pytest.approx(pc.sum(won["amount"]).as_py(), rel=1e-12)
    assert row["win_rate"] == pytest.approx(won.num_rows / (won.num_rows + lost.num_rows))
    assert row["opportunities_created"] == deals.num_rows


def test_a_range_row_is_named_by_its_first_day(project, duck):
    rows = project.query(["deals_won"], connection=duck, grain="all", start="2025-02-10",
                         end="2025-03-03").to_pylist()
    deals = pq.read_table(DATA_DIR / "opportunities.parquet").to_pandas()
    day = deals["closed_at"].dt.date
    inside = deals[(deals["stage"] == "won") & (day >= pd_date("2025-02-10"))
                   & (day <= pd_date("2025-03-03"))]
    assert [(str(r["period"]), r["deals_won"]) for r in rows] == [("2025-02-10", len(inside))]


def pd_date(text: str):
    from datetime import date

    return date.fromisoformat(text)
