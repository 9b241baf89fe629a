"""`balance: {opens: t, days: N}`: each row counts for N days from its time, so the balance
is a rolling N-day total at any grain (the N days up to the period's end, or its start)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlglot

from sales_metrics import adapters, engine

DEALS = [  # (closed_at, amount)
    ("2025-01-05 10:00:00", 100.0),
    ("2025-01-20 09:00:00", 10.0),
    ("2025-01-31 23:30:00", 1.0),
    ("2025-02-10 12:00:00", 1000.0),
    ("2025-03-25 08:00:00", 5.0),
]
DEFS = """
sources:
  - name: deals
    table: deals
    time: closed_at
    dimensions: {kind: kind}
metrics:
  - name: rolling_30d
    source: deals
    measure: sum(amount)
    balance: {opens: closed_at, days: 30}
    dimensions: [kind]
  - name: rolling_30d_at_start
    source: deals
    measure: sum(amount)
    balance: {opens: closed_at, days: 30, at: start}
  - name: rolling_3d_count
    source: deals
    measure: count(*)
    balance: {opens: closed_at, days: 3}
  - name: won
    source: deals
    numerator: sum(amount)
"""


@pytest.fixture
def project(tmp_path: Path) -> engine.Project:
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.DataFrame(DEALS, columns=["closed_at", "amount"])
    frame["kind"] = ["a", "b", "a", "a", "b"]
    frame.to_csv(data / "deals.csv", index=False)
    (tmp_path / "project.yml").write_text(
        "name: rolling\nconnection: {type: duckdb, data: data}\n")
    (tmp_path / "defs.yml").write_text(DEFS)
    return engine.load_project(tmp_path)


def run(project, metrics, **options) -> pd.DataFrame:
    with adapters.connect(project) as conn:
        return project.query(metrics, connection=conn, **options).to_pandas()


def by_hand(end: str, days: int) -> float:
    """The amounts of the deals closed in the `days` days before `end` (a midnight)."""
    stop = pd.Timestamp(end)
    return sum(a for t, a in DEALS if stop - pd.Timedelta(days=days) <= pd.Timestamp(t) < stop)


def test_month_grain_is_the_30_days_to_each_month_end(project):
    got = run(project, ["rolling_30d", "won"], grain="month")
    assert list(got["period"]) == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    # Jan: every January deal (the 5th is 27 days before 1 Feb); Feb: 10 Feb and 31 Jan
    # 23:30 (29 days before 1 Mar), not 20 Jan; Mar: 25 Mar (10 Feb is 49 days before 1 Apr)
    assert list(got["rolling_30d"]) == [by_hand("2025-02-01", 30), by_hand("2025-03-01", 30),
                                        by_hand("2025-04-01", 30)]
    assert list(got["rolling_30d"]) == [111.0, 1001.0, 5.0]
    assert list(got["won"]) == [111.0, 1000.0, 5.0]


def test_at_start_is_the_30_days_before_the_first_day(project):
    got = run(project, ["rolling_30d_at_start"], grain="month")
    assert list(got["rolling_30d_at_start"]) == [0.0, by_hand("2025-02-01", 30),
                                                 by_hand("2025-03-01", 30)]


def test_day_grain_counts_the_day_and_the_days_before(project):
    got = run(project, ["rolling_3d_count"], grain="day", start="2025-01-31", end="2025-02-04")
    # 31 Jan: the deal of that day; 1-2 Feb: still (3 days: 31 Jan, 1, 2 Feb); 3 Feb: gone
    assert list(got["rolling_3d_count"]) == [1, 1, 1, 0, 0]


def test_rows_before_the_start_still_count(project):
    got = run(project, ["rolling_30d"], grain="month", start="2025-02-01")
    assert list(got["rolling_30d"]) == [1001.0, 5.0]  # 31 Jan counts at the end of February


def test_the_shifted_times_do_not_widen_the_range(project):
    """Without --end the periods end with the data (March), not 30 days after it."""
    got = run(project, ["rolling_30d"], grain="week")
    assert got["period"].max() == date(2025, 3, 24)


def test_grouped(project):
    got = run(project, ["rolling_30d"], grain="month", by=["kind"])
    values = {(p.month, k): v for p, k, v in got.itertuples(index=False)}
    assert values[(1, "a")] == 101.0 and values[(1, "b")] == 10.0
    assert values[(2, "a")] == 1001.0 and values[(2, "b")] == 0.0
    assert values[(3, "b")] == 5.0


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "spark", "sqlite", "bigquery",
                                     "mysql", "clickhouse"])
def test_compiles_for_every_dialect(project, dialect):
    sql = project.compile(["rolling_30d"], dialect=dialect, grain="month", start="2025-01-01",
                          end="2025-03-31")
    assert sqlglot.parse_one(sql, read=dialect) is not None
    assert "agg_deals_closed_at_plus_30d" in sql


def test_closes_and_days_are_exclusive(tmp_path):
    (tmp_path / "project.yml").write_text("name: rolling\n")
    (tmp_path / "defs.yml").write_text(
        "sources:\n  - {name: deals, table: deals, time: closed_at}\nmetrics:\n"
        "  - name: r\n    source: deals\n    measure: count(*)\n"
        "    balance: {opens: closed_at, closes: closed_at, days: 3}\n")
    with pytest.raises(engine.DefinitionError, match="'closes' or 'days', not both"):
        engine.load_project(tmp_path)
