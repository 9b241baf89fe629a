"""SQLite for real: a seeded file opened read-only (three locks), results typed by a stated
rule, clean failures. Expected values come from the Parquet files, read with pyarrow."""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sales_metrics import adapters, engine
from sales_metrics.adapters.sqlite import SQLiteAdapter
from support import DATA_DIR, PROJECT_DIR, run_cli

pytestmark = pytest.mark.sqlite
OPPORTUNITIES = pq.read_table(DATA_DIR / "opportunities.parquet")


def scalar(conn, sql: str):
    return conn.execute(sql).column(0)[0].as_py()


def test_every_sample_table_is_there_with_all_its_rows(sqlite):
    files = {p.stem: pq.read_metadata(p).num_rows for p in DATA_DIR.glob("*.parquet")}
    assert sqlite.tables(None) == set(files)
    for name, rows in files.items():
        assert scalar(sqlite, f"SELECT count(*) AS n FROM {name}") == rows, name


def test_results_are_typed_from_their_values(sqlite):
    won = OPPORTUNITIES.filter(pc.equal(OPPORTUNITIES["stage"], "won"))
    table = sqlite.execute("SELECT count(*) AS deals, sum(amount) AS revenue, "
                           "min(stage) AS stage, x'00ff' AS raw FROM opportunities "
                           "WHERE stage = 'won'")
    assert table.schema.types == [pa.int64(), pa.float64(), pa.string(), pa.binary()]
    got = table.to_pylist()[0]
    assert got["deals"] == won.num_rows and got["stage"] == "won" and got["raw"] == b"\x00\xff"
    assert got["revenue"] == pytest.approx(pc.sum(won["amount"]).as_py(), rel=1e-12)
    mixed = sqlite.execute("SELECT 1 AS n UNION ALL SELECT 2.5 ORDER BY n")
    assert mixed.column("n").type == pa.float64() and mixed.column("n").to_pylist() == [1, 2.5]


def test_a_period_column_of_iso_dates_is_date32(sqlite):
    """The stated rule: a text column named `period` holding ISO dates becomes date32; other
    dates stay the ISO text SQLite stores, and a `period` that is not dates stays text."""
    first = pc.min(OPPORTUNITIES["created_at"]).as_py()
    table = sqlite.execute("SELECT date(min(created_at), 'start of month') AS period, "
                           "date(min(created_at)) AS day FROM opportunities")
    assert table.schema.types == [pa.date32(), pa.string()]
    assert table.column("period")[0].as_py() == first.date().replace(day=1)
    assert table.column("day")[0].as_py() == first.date().isoformat()
    assert sqlite.execute("SELECT 'Q1' AS period").column(0).type == pa.string()
    empty = sqlite.execute("SELECT date(created_at) AS period FROM opportunities WHERE 0")
    assert empty.num_rows == 0 and empty.column("period").type == pa.date32()


def test_seeded_values_round_trip(sqlite):
    """Timestamps as ISO text in UTC, dates as ISO dates, booleans as 0/1."""
    row = OPPORTUNITIES.slice(0, 1).to_pylist()[0]
    got = sqlite.execute(f"SELECT created_at, amount FROM opportunities WHERE "
                         f"opportunity_id = {row['opportunity_id']}").to_pylist()[0]
    assert got == {"created_at": row["created_at"].isoformat(" ", "microseconds"),
                   "amount": row["amount"]}
    activities = pq.read_table(DATA_DIR / "activities.parquet", columns=["email_opened"])
    assert scalar(sqlite, "SELECT sum(email_opened) FROM activities") == \
        pc.sum(activities["email_opened"]).as_py()


@pytest.mark.parametrize("statement", [
    "DELETE FROM opportunities",
    "SELECT 1; DELETE FROM opportunities",
    "CREATE TABLE stolen AS SELECT * FROM opportunities",
    "UPDATE opportunities SET amount = 0",
    "INSERT INTO opportunities (opportunity_id) VALUES (-1)",
    "ATTACH DATABASE 'stolen.db' AS stolen",
    "PRAGMA query_only = OFF",
    "VACUUM INTO 'stolen.db'",
])
def test_writes_are_refused_and_nothing_changes(sqlite, sqlite_file, statement):
    before = scalar(sqlite, "SELECT count(*) FROM opportunities")
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        sqlite.execute(statement)
    assert scalar(sqlite, "SELECT count(*) FROM opportunities") == before
    assert "stolen" not in sqlite.tables(None)
    assert sorted(p.name for p in sqlite_file.parent.iterdir()) == [sqlite_file.name]


@pytest.mark.parametrize("statement", [
    "DELETE FROM opportunities", "CREATE TEMP TABLE stolen (x)",
    "ATTACH DATABASE ':memory:' AS other", "PRAGMA query_only = OFF",
    "SELECT * FROM pragma_table_info('reps')",
])
def test_the_connection_itself_refuses_past_the_guard(sqlite, statement):
    """The authorizer denies these before they run, on the raw connection."""
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        sqlite.con.execute(statement)
    assert scalar(sqlite, "SELECT count(*) FROM opportunities") == OPPORTUNITIES.num_rows


def test_the_file_is_read_only_even_without_the_authorizer(sqlite_file):
    """mode=ro and query_only on their own (a connection opened as the adapter opens it,
    without its authorizer) refuse writes too."""
    with SQLiteAdapter(database=str(sqlite_file)) as conn:
        conn.con.set_authorizer(None)
        with pytest.raises(sqlite3.OperationalError, match="readonly|query_only|read-only"):
            conn.con.execute("DELETE FROM opportunities")
        conn.con.execute("PRAGMA query_only = OFF")  # mode=ro still holds
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.con.execute("DELETE FROM opportunities")
    with SQLiteAdapter(database=str(sqlite_file)) as conn:
        assert scalar(conn, "SELECT count(*) FROM opportunities") == OPPORTUNITIES.num_rows


def test_sql_errors_are_one_clean_line(sqlite):
    with pytest.raises(engine.AdapterError) as raised:
        sqlite.execute("SELECT no_such_column FROM opportunities")
    text = str(raised.value)
    assert "\n" not in text and "no_such_column" in text and text.startswith("sqlite: ")


def test_columns_report_declared_types(sqlite):
    cols = sqlite.columns("opportunities")
    assert cols["amount"] == "DOUBLE" and cols["stage"] == "TEXT"
    assert cols["closed_at"] == "TIMESTAMP" and cols["opportunity_id"] == "BIGINT"
    assert sqlite.columns("reps")["hired_at"] == "DATE"
    assert sqlite.columns("(SELECT 1 AS one)") == {"one": ""}
    with pytest.raises(engine.AdapterError, match="no such table: nowhere"):
        sqlite.columns("nowhere")


def test_a_missing_file_is_one_clean_line_and_is_not_created(tmp_path):
    path = tmp_path / "absent.db"
    with pytest.raises(engine.AdapterError, match="does not exist"):
        SQLiteAdapter(database=str(path))
    assert not path.exists()


def test_connection_urls_reach_the_adapter(project, sqlite_file, tmp_path, monkeypatch):
    with adapters.connect(project, connection=f"sqlite:///{sqlite_file}") as conn:  # 4 slashes
        assert isinstance(conn, SQLiteAdapter)
        assert scalar(conn, "SELECT count(*) FROM reps") == pq.read_metadata(
            DATA_DIR / "reps.parquet").num_rows
    monkeypatch.chdir(sqlite_file.parent)
    with adapters.connect(project, connection=f"sqlite:///{sqlite_file.name}") as conn:
        assert conn.path == sqlite_file
    result = run_cli("validate", str(PROJECT_DIR), "--against", f"sqlite:///{sqlite_file}")
    assert result.returncode == 0 and "are valid" in result.stdout + result.stderr
    absent = run_cli("validate", str(PROJECT_DIR), "--against", f"sqlite:///{tmp_path}/x.db")
    assert absent.returncode == 2 and "Traceback" not in absent.stderr
    assert len(absent.stderr.strip().splitlines()) == 1 and "does not exist" in absent.stderr


def test_seeding_needs_a_writable_connection(sqlite, sqlite_file):
    from sales_metrics.adapters.seed import seed

    before = sqlite_file.stat().st_mtime_ns
    with pytest.raises(engine.AdapterError, match="read-only; seeding needs"):
        seed(sqlite, DATA_DIR, None, replace=True)
    assert sqlite_file.stat().st_mtime_ns == before
