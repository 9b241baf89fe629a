"""Filters reach the scan: the time range, filters every metric of a scan shares, and --where
are pushed into DuckDB's Parquet reader, which then skips row groups it does not need.

Checked with DuckDB's own profiler (row groups scanned out of row groups to scan) on a file of
20 row groups, one row per minute, and with EXPLAIN on the bundled catalog.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from sales_metrics import adapters
from sales_metrics import engine

MINUTES = 200_000  # 2020-01-01 00:00 onwards, one row per minute: ~139 days
ROW_GROUP = 10_000  # 20 row groups of ~6.9 days each
START = datetime(2020, 1, 1)


@pytest.fixture(scope="module")
def minutes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pushdown")
    duckdb.execute(
        f"COPY (SELECT TIMESTAMP '2020-01-01' + INTERVAL (i) MINUTE AS t, i AS v, "
        f"CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END AS kind FROM range({MINUTES}) r(i)) "
        f"TO '{root / 'events.parquet'}' (FORMAT PARQUET, ROW_GROUP_SIZE {ROW_GROUP})")
    (root / "project.yml").write_text("name: pushdown\ndialect: duckdb\n")
    (root / "defs.yml").write_text("""
sources:
  - name: events
    path: events.parquet
    time: t
    dimensions: {kind: kind}
metrics:
  - {name: events, label: Events, source: events, numerator: count(*), format: number}
  - name: late_share
    label: Share after 12:00
    source: events
    numerator: count(*)
    numerator_filters: ["hour(t) >= 12"]
    denominator: count(*)
    format: percent
""")
    return root


def profiled(sql: str, out: Path) -> tuple[list, list[dict]]:
    """The rows of ``sql`` and DuckDB's profile of every Parquet scan it ran: on a connection
    of the test's own, since the adapter's sandbox locks settings (profiling included)."""
    con = duckdb.connect()
    con.execute("PRAGMA enable_profiling='json'")
    con.execute("PRAGMA profiling_mode='detailed'")
    con.execute(f"PRAGMA profiling_output='{out}'")
    rows = con.execute(sql).fetchall()
    con.execute("PRAGMA disable_profiling")
    return rows, parquet_scans(json.loads(out.read_text())["operator"])


def parquet_scans(plan: list[dict]) -> list[dict]:
    """The Parquet scan nodes of a DuckDB plan or profile (JSON), however deep."""
    def walk(node):
        yield node
        for child in node.get("children", []):
            yield from walk(child)
    return [n for top in plan for n in walk(top)
            if n.get("extra_info", {}).get("Function") == "READ_PARQUET"]


@pytest.mark.parametrize("where, per_minute", [((), 1), (("kind = 'odd'",), 0.5)])
def test_a_one_day_range_reads_one_row_group_of_twenty(minutes, tmp_path, where, per_minute):
    project = engine.load_project(minutes)
    sql = project.compile(["events", "late_share"], grain="day", start="2020-01-10",
                          end="2020-01-10", where=list(where))
    rows, scans = profiled(sql, tmp_path / "profile.json")
    # by hand: the day has 1,440 minutes (every other one is odd), half of them after noon
    assert rows == [(datetime(2020, 1, 10).date(), 1440 * per_minute, 0.5)]
    # minutes 12,960-14,399 of the day all sit in the second row group (10,000-19,999)
    assert len(scans) == 1
    assert scans[0]["total_row_groups_to_scan"] == MINUTES // ROW_GROUP
    assert scans[0]["row_groups_scanned"] == 1
    filters = json.dumps(scans[0]["extra_info"]["Filters"])
    assert "2020-01-10" in filters and "2020-01-11" in filters
    assert ("kind = 'odd'" in filters) == bool(where)


def test_a_range_across_row_groups_reads_only_those(minutes, tmp_path):
    project = engine.load_project(minutes)
    sql = project.compile(["events"], grain="month", start="2020-02-01", end="2020-02-29")
    rows, scans = profiled(sql, tmp_path / "profile.json")
    assert rows == [(datetime(2020, 2, 1).date(), 29 * 1440)]  # 2020 is a leap year
    first = (datetime(2020, 2, 1) - START) // timedelta(minutes=1) // ROW_GROUP
    last = ((datetime(2020, 3, 1) - START) // timedelta(minutes=1) - 1) // ROW_GROUP
    assert scans[0]["row_groups_scanned"] == last - first + 1 < MINUTES // ROW_GROUP


def test_catalog_scans_carry_the_range_and_shared_filters(project):
    """On the bundled catalog: each Parquet scan gets the range on its own time column, and a
    filter all its metrics share (won revenue's `stage = 'won'`); --where reaches the joined
    reps table."""
    sql = project.compile(["won_revenue", "calls_made"], grain="month", start="2025-01-01",
                          end="2025-03-31", where=["region = 'EMEA'"])
    with adapters.connect(project) as conn:
        plan = json.loads(conn.con.execute("EXPLAIN (FORMAT JSON) " + sql).fetchall()[0][1])
    scans = [json.dumps(n["extra_info"]) for n in parquet_scans(plan)]
    closed = [s for s in scans if "closed_at" in s]
    called = [s for s in scans if "occurred_at" in s]
    reps = [s for s in scans if "region" in s]
    assert len(closed) == 1 and "stage = 'won'" in closed[0]
    assert "closed_at >= '2025-01-01" in closed[0] and "closed_at < '2025-04-01" in closed[0]
    assert len(called) == 1 and "activity_type = 'call'" in called[0]
    assert "occurred_at >= '2025-01-01" in called[0]
    assert reps and all("region = 'EMEA'" in s for s in reps)
