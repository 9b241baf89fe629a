"""Conversion windows (calendar or elapsed days) and an end read through a join, on the
hand-written rows of tests/oracles/conversion_windows/, expected values by hand.

leads (times stored as UTC; NY = America/New_York, UTC-5 until 2025-03-09, then UTC-4):

  id  created_at        converted_at      account  the trap
   1  01-05 09:00       04-05 15:00       1        +90 days by date, 6 h later: calendar in, elapsed out
   2  01-06 10:00       04-06 10:00       3        exactly +90 x 24 h: in both (the bound is inclusive)
   3  01-10 12:00       02-01 12:00       9        22 days: in both; account 9 does not exist
   4  01-08 10:00       01-07 10:00       2        end a day before the start: out of both
   5  01-09 15:00       01-09 09:00       3        same day, 6 h before the start: calendar in (day 0), elapsed out
   6  01-12 10:00       (empty)           5        no end: out
   7  (empty)           01-15 10:00       1        no start: in no cohort
   8  2024-12-31 23:00  01-02 10:00       1        before the range
   9  01-01 03:00       04-01 02:00       3        UTC: January, +90 by date, 89 d 23 h; NY: 2024-12-31 22:00, before the range
  10  03-01 00:30       03-01 01:00       1        UTC: after the range; NY: 02-28 19:30, in February
  11  02-20 08:00       05-21 07:00       1        +90 by date, 1 h short of 90 x 24 h: in both (ends after the range: still counted)
  12  02-03 03:00       05-04 12:00       3        UTC dates +90: calendar in, elapsed out; NY dates 02-02 -> 05-04, +91: out
  13  02-10 10:00       06-01 10:00       4        111 days: out
  14  03-05 12:00       03-06 12:00       1        after the range
  15  02-14 10:00       (empty)           2        no end: out

accounts: first_purchase_at (UTC) and first_purchase_day (a local date, source timezone: none)
  1: 03-01 09:00 (NY 04:00) / 02-28    2: (empty) / (empty)    3: 01-20 08:00 / 01-20
  4: 05-11 18:00 (NY 14:00) / 05-11    5: 04-12 18:00 (NY 14:00) / 04-12

Request: by month, 2025-01-01 to 2025-02-28.

Without a time zone: January's cohort is leads 1 2 3 4 5 6 9 (7), February's 11 12 13 15 (4).
  converted (no window)  Jan 1 2 3 4 5 9 = 6/7      Feb 11 12 13 = 3/4
  calendar 90            Jan 1 2 3 5 9 = 5/7        Feb 11 12 = 2/4
  elapsed 90             Jan 2 3 9 = 3/7            Feb 11 = 1/4
  purchased (no window)  Jan 1 2 5 6 9 = 5/7        Feb 11 12 13 = 3/4
    (1: 55 days; 2, 5, 9: account 3, days later; 6: account 5, 04-12 18:00 = +90 by date,
     8 h past 90 x 24 h; 11: 9 days; 12: account 3, before the start; 13: account 4, 05-11
     18:00 = +90 by date, 8 h past; 3: no such account; 4, 15: account 2 never purchased)
  purchased, calendar 90 Jan 1 2 5 6 9 = 5/7        Feb 11 13 = 2/4
  purchased, elapsed 90  Jan 1 2 5 9 = 4/7          Feb 11 = 1/4
  purchase day, cal. 90  Jan 1 2 5 6 9 = 5/7        Feb 11 13 = 2/4

In America/New_York: January's cohort is 1 2 3 4 5 6 (6; 9 moves to December), February's
10 11 12 13 15 (5; 10 moves in from March).
  converted              Jan 1 2 3 4 5 = 5/6        Feb 10 11 12 13 = 4/5
  calendar 90            Jan 1 2 3 5 = 4/6          Feb 10 11 = 2/5   (12: +91 local days)
  elapsed 90 (instants)  Jan 2 3 = 2/6              Feb 10 11 = 2/5
  purchased              Jan 1 2 5 6 = 4/6          Feb 10 11 12 13 = 4/5
  purchased, calendar 90 Jan 1 2 5 6 = 4/6          Feb 10 11 13 = 3/5
  purchased, elapsed 90  Jan 1 2 5 = 3/6            Feb 10 11 = 2/5
  purchase day, cal. 90  Jan 1 2 5 6 = 4/6          Feb 10 11 13 = 3/5
    (10: created 02-28 19:30 local, purchase day 02-28: day 0, in. Read as UTC and moved to
     New York, that date would be 02-27, before the start.)
"""

from __future__ import annotations

import math
import os
import shutil
import socket
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import sqlglot
from sales_metrics import adapters, engine
from sales_metrics.adapters.seed import seed
from sales_metrics.engine.functions import undocumented
from sqlglot import exp
from support import DATA_DIR, run_cli

HERE = Path(__file__).parent / "conversion_windows"
NY = "America/New_York"
RANGE = {"grain": "month", "start": "2025-01-01", "end": "2025-02-28"}
RUN = f"conversion_windows_{os.getpid()}"

# name -> (January, February) without a time zone, and in New York (see the docstring)
EXPECTED = {
    "converted": ((6 / 7, 3 / 4), (5 / 6, 4 / 5)),
    "converted_90d": ((5 / 7, 2 / 4), (4 / 6, 2 / 5)),
    "converted_90d_calendar": ((5 / 7, 2 / 4), (4 / 6, 2 / 5)),
    "converted_90d_elapsed": ((3 / 7, 1 / 4), (2 / 6, 2 / 5)),
    "converted_within_days_90": ((3 / 7, 1 / 4), (2 / 6, 2 / 5)),
    "purchased": ((5 / 7, 3 / 4), (4 / 6, 4 / 5)),
    "purchased_90d": ((5 / 7, 2 / 4), (4 / 6, 3 / 5)),
    "purchased_90d_elapsed": ((4 / 7, 1 / 4), (3 / 6, 2 / 5)),
    "purchased_day_90d": ((5 / 7, 2 / 4), (4 / 6, 3 / 5)),
}
NAMES = list(EXPECTED)
TYPES = {"lead_id": pa.int64(), "account_id": pa.int64(), "created_at": pa.timestamp("us"),
         "converted_at": pa.timestamp("us"), "first_purchase_at": pa.timestamp("us"),
         "first_purchase_day": pa.date32()}


def windows_project(tmp_path: Path, zone: str | None, data: Path = HERE) -> engine.Project:
    """The hand-written project, with or without a time zone, reading ``data``."""
    folder = tmp_path / ("ny" if zone else "utc")
    folder.mkdir(exist_ok=True)
    shutil.copy(HERE / "defs.yml", folder)
    (folder / "project.yml").write_text(
        f"name: conversion_windows\nconnection: {{type: duckdb, data: '{data}'}}\n"
        f"allowed_paths: ['{data}']\n" + (f"timezone: {zone}\n" if zone else ""))
    return engine.load_project(folder)


def check(got: dict, zone: str | None) -> None:
    assert got["period"] == [date(2025, 1, 1), date(2025, 2, 1)]
    for name, (utc, ny) in EXPECTED.items():
        want = ny if zone else utc
        assert len(got[name]) == 2 and all(math.isclose(g, w, rel_tol=1e-12)
                                           for g, w in zip(got[name], want)), (name, got[name],
                                                                               want)


@pytest.mark.parametrize("zone", [None, NY])
def test_windows_by_hand_on_duckdb(tmp_path, zone):
    project = windows_project(tmp_path, zone)
    with adapters.connect(project) as conn:
        check(project.query(NAMES, connection=conn, **RANGE).to_pydict(), zone)


def test_calendar_is_the_default_and_within_days_counts_elapsed_days(tmp_path):
    metrics = windows_project(tmp_path, None).metrics
    assert metrics["converted_90d"].conversion.window.count == "calendar"
    assert metrics["converted_within_days_90"].conversion.window.count == "elapsed"
    assert metrics["converted"].conversion.window is None


# ------------------------------------------------------------------ the same on other engines


@pytest.fixture(scope="module")
def parquet(tmp_path_factory) -> Path:
    """The CSV rows as Parquet with their types, as `metrics seed` loads a warehouse."""
    folder = tmp_path_factory.mktemp("windows_data")
    for csv in HERE.glob("*.csv"):
        table = pcsv.read_csv(csv, convert_options=pcsv.ConvertOptions(column_types=TYPES))
        pq.write_table(table, folder / f"{csv.stem}.parquet")
    return folder


def _listening(url: str, port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or port), 2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def sqlite_conn(parquet):
    from sales_metrics.adapters.sqlite import SQLiteAdapter

    path = parquet / "windows.db"
    with SQLiteAdapter(database=str(path), writable=True) as writer:
        seed(writer, parquet, None)
    with SQLiteAdapter(database=str(path)) as conn:
        yield conn


@pytest.fixture(scope="module")
def chdb_conn(parquet):
    pytest.importorskip("chdb", reason="chdb is not installed: pip install -e '.[test]'")
    from sales_metrics.adapters.clickhouse import ChdbAdapter

    with ChdbAdapter(schema=RUN, writable=True) as writer:  # see tests/backends/conftest.py
        seed(writer, parquet, RUN)
        reader = ChdbAdapter(schema=RUN)
    with reader:
        yield reader
        with ChdbAdapter(writable=True) as writer:
            writer.session.query(f"DROP DATABASE IF EXISTS `{RUN}`")


@pytest.fixture(scope="module")
def postgres_conn(parquet, pg_url):
    from sales_metrics.adapters.postgres import PostgresAdapter

    with PostgresAdapter(url=pg_url, writable=True) as writer:
        seed(writer, parquet, RUN)
    try:
        with PostgresAdapter(url=pg_url, schema=RUN) as conn:
            yield conn
    finally:
        with PostgresAdapter(url=pg_url, writable=True) as writer:
            writer.conn.execute(f'DROP SCHEMA IF EXISTS "{RUN}" CASCADE')


@pytest.fixture(scope="module")
def mysql_conn(parquet):
    pytest.importorskip("pymysql", reason="pymysql is not installed: pip install -e '.[test]'")
    url = os.environ.get("METRICS_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
    if not _listening(url, 3306):
        pytest.skip(f"nothing listens for MySQL/MariaDB at {url} (set METRICS_TEST_MYSQL_URL)")
    from sales_metrics.adapters.mysql import MySQLAdapter

    with MySQLAdapter(url=url, writable=True) as writer:
        seed(writer, parquet, RUN)
    try:
        with MySQLAdapter(url=url, database=RUN) as conn:
            yield conn
    finally:
        with MySQLAdapter(url=url, writable=True) as writer, writer.conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{RUN}`")


@pytest.fixture(scope="module")
def snowflake_conn(parquet, fakesnow_server):
    """fakesnow's server (an emulator over DuckDB) through the real connector, in a schema of
    this module's own."""
    from sales_metrics.adapters.snowflake import SnowflakeAdapter

    settings = {**fakesnow_server, "schema": "WINDOWS"}
    with SnowflakeAdapter(**settings, writable=True) as writer:
        seed(writer, parquet, None)
    with SnowflakeAdapter(**settings) as conn:
        yield conn


@pytest.fixture(scope="module")
def spark_conn(parquet, spark_session):
    from sales_metrics.adapters.spark import SparkAdapter

    with SparkAdapter(data=str(parquet)) as conn:
        yield conn


FAKESNOW_NOISE = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")
ENGINES = [pytest.param("sqlite_conn", marks=pytest.mark.sqlite),
           pytest.param("chdb_conn", marks=pytest.mark.clickhouse),
           pytest.param("postgres_conn", marks=pytest.mark.postgres),
           pytest.param("mysql_conn", marks=pytest.mark.mysql),
           pytest.param("snowflake_conn", marks=[pytest.mark.snowflake, FAKESNOW_NOISE]),
           pytest.param("spark_conn", marks=pytest.mark.spark)]


@pytest.mark.parametrize("fixture", ENGINES)
def test_windows_by_hand_on_other_engines(tmp_path, request, fixture):
    conn = request.getfixturevalue(fixture)
    project = windows_project(tmp_path, None)
    check(project.query(NAMES, connection=conn, **RANGE).to_pydict(), None)


@pytest.mark.parametrize("fixture", [p for p in ENGINES if p.values[0] not in
                                     ("sqlite_conn", "mysql_conn")])
def test_calendar_days_are_local_days_on_other_engines(tmp_path, request, fixture):
    """Where the engine converts time zones (SQLite has none; MariaDB needs its time zone
    tables loaded for a named zone), the same local days as DuckDB."""
    conn = request.getfixturevalue(fixture)
    project = windows_project(tmp_path, NY)
    check(project.query(NAMES, connection=conn, **RANGE).to_pydict(), NY)


# ------------------------------------------------------------------ SQL in every dialect

DIALECTS = ["duckdb", "postgres", "mysql", "sqlite", "clickhouse", "snowflake", "spark",
            "bigquery", "tsql"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("zone", [None, NY])
def test_conversion_sql_parses_back_and_calls_documented_functions(tmp_path, dialect, zone):
    project = windows_project(tmp_path, zone)
    for name in NAMES:
        sql = project.compile([name], dialect=dialect, **RANGE)
        assert isinstance(sqlglot.parse_one(sql, read=dialect), exp.Select), (name, dialect)
        assert undocumented(sql, dialect) == [], (name, dialect)


def test_calendar_compares_local_dates_and_elapsed_compares_instants(tmp_path):
    sql = windows_project(tmp_path, NY).compile(["purchased_90d", "converted_90d_elapsed",
                                                 "purchased_day_90d"], **RANGE)
    local = "AT TIME ZONE 'UTC' AT TIME ZONE 'America/New_York'"
    assert (f"CAST(CAST(accounts.first_purchase_at AS TIMESTAMP) {local} AS DATE)") in sql
    assert "CAST(account_days.first_purchase_day AS DATE)" in sql  # timezone: none
    # both UTC: the stored instants, on DuckDB as microseconds (engine/dialects.py)
    assert "EPOCH_US(leads.converted_at) - EPOCH_US(leads.created_at) <= 7776000000000" in sql


def test_elapsed_compares_local_times_when_only_one_side_is_utc(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "project.yml").write_text(f"name: mixed\ntimezone: {NY}\n")
    (folder / "defs.yml").write_text((HERE / "defs.yml").read_text().split("metrics:")[0]
                                     + "metrics:\n  - {name: m, source: leads, conversion: "
                                     "{start: created_at, end: account_days.first_purchase_day,"
                                     " within: {days: 90, count: elapsed}}}\n")
    sql = engine.load_project(folder).compile(["m"], start="2025-01-01", end="2025-01-31")
    local = "CAST(leads.created_at AS TIMESTAMP) AT TIME ZONE 'UTC' AT TIME ZONE " \
            "'America/New_York'"
    assert f"account_days.first_purchase_day <= {local} + INTERVAL 90 DAY" in sql


# ------------------------------------------------------------------ the end through a join, real data


def test_end_through_a_join_on_the_sample_data(tmp_path, frames):
    """Share of opportunities whose account wins its first deal within 90 days of the
    opportunity's creation: the first win comes from a `sql:` source joined by account."""
    (tmp_path / "project.yml").write_text(
        f"name: joined\nconnection: {{type: duckdb, data: '{DATA_DIR}'}}\n"
        f"allowed_paths: ['{DATA_DIR}']\n")
    (tmp_path / "defs.yml").write_text("""
sources:
  - name: opportunities
    table: opportunities
    time: created_at
    key: opportunity_id
    joins: [{to: first_wins, on: account_id = first_wins.account_id}]
  - name: first_wins
    sql: select account_id, min(closed_at) as first_won_at from opportunities where stage = 'won' group by account_id
    key: account_id
metrics:
  - {name: won_any, source: opportunities, conversion: {start: created_at, end: first_wins.first_won_at}}
  - {name: won_90d, source: opportunities, conversion: {start: created_at, end: first_wins.first_won_at, within: {days: 90}}}
  - {name: won_90d_elapsed, source: opportunities, conversion: {start: created_at, end: first_wins.first_won_at, within: {days: 90, count: elapsed}}}
""")
    project = engine.load_project(tmp_path)
    with adapters.connect(project) as conn:
        got = project.query(["won_any", "won_90d", "won_90d_elapsed"], connection=conn,
                            grain="quarter", start="2024-01-01", end="2025-06-30").to_pandas()

    opps = frames["opportunities"]
    first = opps[opps.stage == "won"].groupby("account_id").closed_at.min().rename("first")
    rows = opps.join(first, on="account_id")
    rows = rows[(rows.created_at >= "2024-01-01") & (rows.created_at < "2025-07-01")]
    cohort = rows.created_at.dt.to_period("Q").dt.start_time.dt.date
    days = (rows["first"].dt.normalize() - rows.created_at.dt.normalize()).dt.days
    lag = rows["first"] - rows.created_at
    want = pd.DataFrame({
        "won_any": rows["first"].notna(),
        "won_90d": days.between(0, 90),
        "won_90d_elapsed": (lag >= pd.Timedelta(0)) & (lag <= pd.Timedelta(days=90)),
    }).groupby(cohort).mean()
    assert list(got.period) == list(want.index)
    for name in want:
        assert list(got[name]) == pytest.approx(list(want[name]), rel=1e-12), name
    assert (want.won_90d > want.won_90d_elapsed).any()  # the time of day mattered somewhere
    assert (want.won_any > want.won_90d).all()



# ------------------------------------------------------------------ mistakes, located


def _validate(tmp_path: Path, conversion: str) -> list[str]:
    (tmp_path / "project.yml").write_text("name: bad\nlint: {missing-label: off, "
                                          "missing-description: off, missing-owner: off, "
                                          "missing-format: off}\n")
    (tmp_path / "defs.yml").write_text(
        "sources:\n  - {name: leads, table: leads, time: created_at,\n"
        "     joins: [{to: accounts, on: account_id = accounts.account_id}]}\n"
        "  - {name: accounts, table: accounts, key: account_id}\n"
        f"metrics:\n  - name: m\n    source: leads\n    conversion: {conversion}\n")
    _, diagnostics = engine.check_project(tmp_path)
    return [d.render() for d in diagnostics if d.severity == "error"]


def at(conversion: str, token: str) -> str:
    """Where ``token`` is on the conversion's line (line 8 of the file _validate writes)."""
    return f"defs.yml:8:{len('    conversion: ') + conversion.index(token) + 1}"


# (conversion, [(the text the error points at, the error)])
MISTAKES = [
    ("{start: created_at, end: won_at, within: {days: 90}, within_days: 90}",
     [("{start", "error[invalid-definition] a conversion takes 'within' or 'within_days', "
       "not both")]),
    ("{start: created_at, end: won_at, within: {days: 90, count: hours}}",
     [("hours", "error[wrong-type] 'count': input should be 'calendar' or 'elapsed'; "
       "got 'hours'")]),
    ("{start: created_at, end: won_at, within: {days: -1}}",
     [("-1", "error[wrong-type] 'days': input should be greater than or equal to 0; got -1")]),
    ("{start: created_at, end: won_at, within: {dayz: 90}}",
     [("{dayz", "error[missing-key] this conversion window has no 'days'; add 'days:'"),
      ("dayz", "error[unknown-key] 'dayz' is not a conversion window field; did you mean "
       "'days'?")]),
    ("{start: created_at, end: acounts.won_at}",
     [("acounts", "error[unknown-join] 'acounts' is not joined to source 'leads'; did you "
       "mean 'accounts'?")]),
    ("{start: created_at, end: a.b.won_at}",
     [("a.b", "error[invalid-name] 'a.b.won_at' is not a valid name for 'end'; use letters, "
       "digits and underscores, starting with a letter (snake_case)")]),
    ("{start: accounts.created_at, end: won_at}",  # the cohort's time is the source's own
     [("accounts", "error[invalid-name] 'accounts.created_at' is not a valid name for "
       "'start'; use letters, digits and underscores, starting with a letter (snake_case)")]),
]


@pytest.mark.parametrize("conversion, expect", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_mistakes_are_one_located_line(tmp_path, monkeypatch, conversion, expect):
    monkeypatch.chdir(tmp_path)
    assert _validate(tmp_path, conversion) == [f"{at(conversion, token)}: {message}"
                                               for token, message in expect]


def test_validate_and_run_print_one_line_and_exit_1(tmp_path):
    conversion, [(token, message)] = MISTAKES[1]
    _validate(tmp_path, conversion)
    for args in (["validate"], ["run", "-m", "m"]):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 1, (args, done.stderr)
        errors = [line for line in done.stderr.splitlines() if "error[" in line]
        assert errors == [f"{at(conversion, token)}: {message}"], done.stderr
        assert "Traceback" not in done.stderr
