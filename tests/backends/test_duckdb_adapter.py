"""The DuckDB adapter: Arrow results, only SELECT, read-only database files, clean errors."""

from __future__ import annotations


import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sales_metrics import adapters
from sales_metrics import engine
from sales_metrics.adapters.duckdb import DuckDBAdapter

from support import ROOT  # noqa: E402
DATA = ROOT / "examples" / "data"


def test_data_folder_files_are_tables():
    with DuckDBAdapter(data=str(DATA)) as conn:
        table = conn.execute("SELECT count(*) AS n FROM opportunities")
        assert isinstance(table, pa.Table)
        assert table.column("n")[0].as_py() == pq.read_metadata(
            DATA / "opportunities.parquet").num_rows
        assert conn.columns("opportunities")["amount"] == "DOUBLE"


@pytest.mark.parametrize("statement", [
    "CREATE TABLE x AS SELECT 1",
    "SELECT 1; DROP VIEW opportunities",
    "INSERT INTO opportunities SELECT * FROM opportunities",
    "COPY (SELECT 1) TO 'x.csv'",
])
def test_only_a_single_select_is_run(statement, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with DuckDBAdapter(data=str(DATA)) as conn:
        with pytest.raises(engine.AdapterError, match="only a single SELECT"):
            conn.execute(statement)
        assert conn.execute("SELECT count(*) AS n FROM opportunities").num_rows == 1
    assert list(tmp_path.iterdir()) == []


def test_database_file_is_opened_read_only(tmp_path):
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE deals AS SELECT 42 AS amount")
    con.close()
    with DuckDBAdapter(root=tmp_path, database="crm.duckdb") as conn:
        assert conn.execute("SELECT sum(amount) AS s FROM deals").column("s")[0].as_py() == 42
        with pytest.raises(duckdb.Error, match="read-only"):
            conn.con.execute("CREATE TABLE other AS SELECT 1")


def test_errors_are_one_line_adapter_errors(tmp_path):
    with pytest.raises(engine.AdapterError, match="does not exist"):
        DuckDBAdapter(root=tmp_path, database="missing.duckdb")
    with pytest.raises(engine.AdapterError, match="examples/generate.py"):
        DuckDBAdapter(root=tmp_path, data="no_such_folder")
    with DuckDBAdapter() as conn:
        with pytest.raises(engine.AdapterError) as raised:
            conn.execute("SELECT * FROM no_such_table")
        assert "\n" not in str(raised.value) and "no_such_table" in str(raised.value)


def test_connect_uses_the_project_connection_and_env_vars(project, monkeypatch, tmp_path):
    monkeypatch.setenv("SAMPLE_DATA", str(DATA))
    settings = {"type": "duckdb", "data": "{{ env_var('SAMPLE_DATA') }}"}
    with adapters.connect(project, settings) as conn:
        assert conn.execute("SELECT count(*) AS n FROM reps").column("n")[0].as_py() > 0
    monkeypatch.delenv("SAMPLE_DATA")
    with pytest.raises(engine.UsageError, match="environment variable 'SAMPLE_DATA' is not set"):
        adapters.connect(project, settings)
    with pytest.raises(engine.UsageError, match="unknown connection type 'oracle'"):
        adapters.connect(project, {"type": "oracle"})
