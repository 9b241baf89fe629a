"""The whole catalog, run for real on every engine this machine can run, equals DuckDB.

For each engine, grain and range (none: the data's own; or one that cuts periods in two),
the KPIs are asked in batches: all of them ungrouped, then each grouped by a dimension, in
as few batches as the dimensions allow (one batch per dimension used). Each batch is compiled for the engine's dialect, run there, and compared
with the same request on DuckDB (same rows keyed by period and dimensions; values within
1e-9 relative, counts exactly: see support/differential.py).

What a dialect refuses (exact medians where it has none) is refused at compile time with
UnsupportedFeature, and the set refused is asserted, so a new refusal fails the test.

Engines: MySQL on the MariaDB server, SQLite, ClickHouse (embedded, chdb), Snowflake
through fakesnow (an emulator over DuckDB: weaker evidence than Snowflake itself), Spark
Connect (the path Databricks users take). PostgreSQL and classic Spark have their own files.
"""

from __future__ import annotations

import functools

import pytest

from sales_metrics import engine
from support import PROJECT_DIR
from support.differential import GRAINS, assert_same

RANGE = {"start": "2024-11-15", "end": "2025-05-20"}  # cuts a week, a month and a quarter
# exact medians and percentiles: none in MySQL's or SQLite's core (engine/dialects.py)
MEDIANS = {"median_days_lead_to_mql", "median_days_mql_to_sql", "median_won_revenue_per_rep",
           "p90_deal_size"}
# engine fixture -> (pytest marker, dialect, KPIs the dialect refuses)
ENGINES = {
    "mysql": ("mysql", "mysql", MEDIANS),
    "sqlite": ("sqlite", "sqlite", MEDIANS),
    "chdb_conn": ("clickhouse", "clickhouse", set()),
    "snowflake": ("snowflake", "snowflake", set()),
    "spark_connect": ("spark_connect", "spark", set()),
}


@functools.cache
def _project():
    return engine.load_project(PROJECT_DIR)


@functools.cache
def offered(grain: str, by: tuple[str, ...], ranged: bool) -> tuple[str, ...]:
    """The KPIs that may be asked at this grain and grouping (compiled for DuckDB)."""
    project, out = _project(), []
    for name in sorted(project.metrics):
        try:
            project.compile([name], dialect="duckdb", grain=grain, by=list(by),
                            **(RANGE if ranged else {}))
        except engine.UsageError:
            continue
        out.append(name)
    return tuple(out)


@functools.cache
def batches(grain: str, ranged: bool) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(grouping, KPIs): every KPI ungrouped, then every KPI that can be grouped by one
    dimension at least, in few batches: each next dimension is the one that groups most of
    the KPIs not yet grouped (ties go round by grain, so more dimensions get used)."""
    out = [((), offered(grain, (), ranged))]
    dims = sorted({d for m in _project().metrics.values() for d in (m.dimensions or [])})
    turn = GRAINS.index(grain)
    dims = dims[turn:] + dims[:turn]
    left = set(offered(grain, (), ranged))
    while left:
        best = max(dims, key=lambda d: len(left & set(offered(grain, (d,), ranged))))
        names = tuple(sorted(left & set(offered(grain, (best,), ranged))))
        if not names:
            break
        out.append(((best,), names))
        left -= set(names)
    return out


def refused_by(dialect: str, names: tuple[str, ...], options: dict) -> set[str]:
    project, out = _project(), set()
    for name in names:
        try:
            project.compile([name], dialect=dialect, **options)
        except engine.UnsupportedFeature:
            out.add(name)
    return out


_REFERENCE: dict[tuple, object] = {}


def reference(duck, names: tuple[str, ...], grain: str, by: tuple[str, ...], ranged: bool):
    """DuckDB's answer, computed once for all the engines that are compared with it."""
    key = (names, grain, by, ranged)
    if key not in _REFERENCE:
        _REFERENCE[key] = _project().query(list(names), connection=duck, grain=grain,
                                           by=list(by), **(RANGE if ranged else {}))
    return _REFERENCE[key]


def params():
    for fixture, (marker, _, _) in ENGINES.items():
        for grain in GRAINS:
            for ranged in (False, True):
                yield pytest.param(fixture, grain, ranged, marks=getattr(pytest.mark, marker),
                                   id=f"{fixture}-{grain}-{'range' if ranged else 'all'}")


@pytest.mark.parametrize("fixture,grain,ranged", list(params()))
def test_catalog_equals_duckdb(request, duck, fixture, grain, ranged):
    conn = request.getfixturevalue(fixture)
    _, dialect, refuses = ENGINES[fixture]
    project, compared = _project(), 0
    for by, names in batches(grain, ranged):
        options = {"grain": grain, "by": list(by), **(RANGE if ranged else {})}
        refused = refused_by(dialect, names, options)
        assert refused == refuses & set(names), (by, refused)
        asked = [n for n in names if n not in refused]
        want = reference(duck, tuple(asked), grain, by, ranged)
        got = project.query(asked, connection=conn, **options)
        assert want.num_rows > 0
        assert_same(want, got, project.metrics, f"{fixture} {grain} by {by or 'nothing'}")
        compared += len(asked)
    print(f"{fixture} {grain} {'range' if ranged else 'all'}: {compared} KPI requests equal")
    assert compared > 0


CALENDARS = {
    "sunday-weeks-april-fiscal": "week_start: sunday\nfiscal_year_start_month: 4\n",
    "retail-4-4-5": "calendar: {type: retail, pattern: 4-4-5, year_end_month: 1, "
                    "year_end: nearest}\n",
}
# a sum, a ratio, a comparison, a to-date window, a trailing window, a balance
CALENDAR_KPIS = ["won_revenue", "win_rate", "won_revenue_growth", "won_revenue_ytd",
                 "win_rate_trailing_3", "open_pipeline"]


@functools.cache
def _calendar_project(tmp_root: str, name: str):
    import shutil
    from pathlib import Path

    folder = Path(tmp_root) / name
    shutil.copytree(PROJECT_DIR, folder)
    settings = (folder / "project.yml").read_text()
    settings = "\n".join(line for line in settings.splitlines()
                         if not line.startswith(("week_start:", "fiscal_year_start_month:")))
    (folder / "project.yml").write_text(settings + "\n" + CALENDARS[name])
    return engine.load_project(folder)


def calendar_params():
    for fixture, (marker, _, _) in ENGINES.items():
        for name in CALENDARS:
            yield pytest.param(fixture, name, marks=getattr(pytest.mark, marker),
                               id=f"{fixture}-{name}")


@pytest.mark.parametrize("fixture,calendar", list(calendar_params()))
def test_calendars_equal_duckdb(request, tmp_path_factory, duck, fixture, calendar):
    """Week start, fiscal years and the retail 4-4-5 calendar at every grain, over the data's
    own range and over a range, on the engine as on DuckDB."""
    conn = request.getfixturevalue(fixture)
    project = _calendar_project(str(tmp_path_factory.getbasetemp()), calendar)
    names = [n for n in CALENDAR_KPIS if n in project.metrics]
    assert names == CALENDAR_KPIS
    for grain in GRAINS:
        for extra in ({}, RANGE):
            options = {"grain": grain, **extra}
            asked = [n for n in names if _compiles(project, n, options)]
            want = project.query(asked, connection=duck, **options)
            got = project.query(asked, connection=conn, **options)
            assert want.num_rows > 0
            assert_same(want, got, project.metrics, f"{fixture} {calendar} {options}")


def _compiles(project, name: str, options: dict) -> bool:
    try:
        project.compile([name], dialect="duckdb", **options)
        return True
    except engine.UsageError:
        return False


TYPED = {"win_rate": "ratio", "average_deal_size": "average", "sales_cycle_length": "average",
         "deals_won": "count", "leads_created": "count"}


def typed_params():
    for fixture, (marker, _, _) in ENGINES.items():
        yield pytest.param(fixture, marks=getattr(pytest.mark, marker), id=fixture)


@pytest.mark.parametrize("fixture", list(typed_params()))
def test_the_same_types_everywhere(request, fixture):
    """Periods are dates, ratios and averages doubles (not MySQL's 4-decimal DECIMAL), counts
    integers; money keeps the source column's type (the sample's amounts are doubles)."""
    import pyarrow as pa

    conn = request.getfixturevalue(fixture)
    table = _project().query([*TYPED, "won_revenue"], connection=conn, grain="quarter",
                             by=["region"])
    schema = table.schema
    assert schema.field("period").type == pa.date32(), schema
    for name, kind in TYPED.items():
        kind_of = pa.types.is_floating if kind != "count" else pa.types.is_integer
        assert kind_of(schema.field(name).type), (name, schema.field(name).type)
    assert pa.types.is_floating(schema.field("won_revenue").type)
