"""The generic adapter (SQLAlchemy / DB-API), and every KPI's SQL in dialects without a server.

- Against PostgreSQL through SQLAlchemy (``postgresql+psycopg://``): results equal DuckDB's,
  writes are refused, errors are clean lines.
- For Snowflake, BigQuery, Redshift, Trino, MySQL, SQL Server, ClickHouse and Databricks there
  is no server here: the SQL for every catalog KPI (at its own grain, grouped by its first
  dimension) must parse back with sqlglot as one read-only query and match the reviewed
  snapshot in ``tests/dialects/snapshots/<dialect>/catalog/<kpi>.sql``. After an intended change:
  ``UPDATE_SNAPSHOTS=1 python -m pytest tests/backends/test_generic.py`` and review the diff.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlglot
from sqlglot import exp

from sales_metrics import engine
from sales_metrics.adapters.generic import GenericAdapter, dialect_for_url
from sales_metrics.adapters.guard import select_problem
from support import PROJECT_DIR, ROOT
from support.differential import Case, assert_same, catalog_at, repeated_ctes, run_case
from sales_metrics.engine.functions import undocumented

SNAPSHOTS = ROOT / "tests" / "dialects" / "snapshots"
DIALECTS = ["snowflake", "bigquery", "redshift", "trino", "mysql", "tsql", "clickhouse",
            "databricks"]
# Exact percentiles and medians in an aggregate: refused where the engine has none that is
# exact (engine/dialects.py); the SQL would fail or give other numbers.
NO_EXACT_PERCENTILE = {"bigquery", "tsql", "mysql", "trino"}  # ClickHouse: exact quantiles
# Gaps the compiler must close: {(dialect, metric kind): reason}. Strict, so a fix shows up
# as XPASS, to be removed here.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def _project():
    return engine.load_project(PROJECT_DIR)


def request_for(project, kpi: str, dialect: str) -> dict:
    """The KPI at its own grain, by its first dimension (a share: by what it is across),
    over the data's own range."""
    metric = project.metrics[kpi]
    by = list(getattr(metric, "across", None) or metric.dimensions or [])[:1]
    return {"grain": metric.grain.value, "by": by}


def uses_percentile(project, kpi: str) -> bool:
    """Whether the KPI, or a metric it is computed from, takes a median or a percentile."""
    seen, stack = set(), [kpi]
    while stack:
        metric = project.catalog.metrics[stack.pop()]
        if metric.name not in seen:
            seen.add(metric.name)
            stack.extend(metric.references())
            if re.search(r"\b(median|quantile\w*|percentile\w*)\b",
                         str(metric.model.model_dump()), re.I):
                return True
    return False


def _params():
    project = _project()
    for dialect in DIALECTS:
        for kpi in sorted(project.metrics):
            gap = KNOWN_GAPS.get((dialect, type(project.metrics[kpi]).__name__))
            if dialect in NO_EXACT_PERCENTILE and uses_percentile(project, kpi):
                gap = None  # refused before anything else
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            yield pytest.param(dialect, kpi, id=f"{dialect}-{kpi}", marks=marks)


@pytest.mark.parametrize("dialect, kpi", _params())
def test_every_kpi_compiles_parses_back_and_matches_its_snapshot(project, dialect, kpi):
    options = request_for(project, kpi, dialect)
    if dialect in NO_EXACT_PERCENTILE and uses_percentile(project, kpi):
        with pytest.raises(engine.UnsupportedFeature, match="exact percentiles"):
            project.compile([kpi], dialect=dialect, **options)
        return
    sql = project.compile([kpi], dialect=dialect, **options) + "\n"
    tree = sqlglot.parse_one(sql, read=dialect)
    assert isinstance(tree, exp.Query)
    assert select_problem(sql, dialect) is None  # what every adapter checks before sending
    assert not repeated_ctes(sql, dialect), "a CTE name repeats once nested WITHs are hoisted"
    path = SNAPSHOTS / dialect / "catalog" / f"{kpi}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        # never lock in SQL calling a function the engine lacks (engine/functions.py)
        assert undocumented(sql, dialect) == [], f"no snapshot written: {kpi} in {dialect}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
    assert path.exists(), f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 and review it"
    assert sql == path.read_text(), f"SQL changed for {kpi} in {dialect}; if intended, " \
        "rerun with UPDATE_SNAPSHOTS=1 and review the diff"


def test_no_stale_snapshots(project):
    for dialect in DIALECTS:
        folder = SNAPSHOTS / dialect / "catalog"
        stale = sorted(p.stem for p in folder.glob("*.sql") if p.stem not in project.metrics)
        assert not stale, f"snapshots for removed KPIs in {folder}: {stale}"


@pytest.mark.parametrize("url, dialect", [
    ("postgresql+psycopg://u@h/db", "postgres"), ("mssql+pyodbc://u@dsn", "tsql"),
    ("snowflake://u@account/db", "snowflake"), ("bigquery://project", "bigquery"),
    ("redshift+redshift_connector://u@h:5439/db", "redshift"), ("trino://u@h:8080/c", "trino"),
    ("mysql+pymysql://u@h/db", "mysql"), ("mariadb://u@h/db", "mysql"),
    ("clickhouse+http://h/db", "clickhouse"), ("databricks://token:x@h?http_path=p", "databricks"),
])
def test_url_scheme_picks_the_dialect(url, dialect):
    assert dialect_for_url(url) == dialect


def test_unknown_scheme_asks_for_a_dialect():
    with pytest.raises(engine.UsageError, match="add 'dialect: <name>'"):
        dialect_for_url("nosuchdb://h/db")


# ----------------------------------------------------------------------------- for real


@pytest.fixture(scope="module")
def sqla(pg_url, pg_schema):
    url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    with GenericAdapter(url=url, connect_args={"options": f"-c search_path={pg_schema}"}) as conn:
        yield conn


@pytest.mark.postgres
@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_through_sqlalchemy_equals_duckdb(project, duck, sqla, grain):
    assert sqla.dialect == "postgres"
    case = Case("*", grain, ())
    names = catalog_at(project, grain)
    assert_same(run_case(project, duck, case, names), run_case(project, sqla, case, names),
                project.metrics, f"sqlalchemy-{grain}")


@pytest.mark.postgres
@pytest.mark.parametrize("kpi, by", [("win_rate", "region"), ("won_revenue", "segment"),
                                     ("sales_cycle_length", "product")])
def test_grouped_through_sqlalchemy_equals_duckdb(project, duck, sqla, kpi, by):
    case = Case(kpi, "month", (by,))
    assert_same(run_case(project, duck, case), run_case(project, sqla, case), project.metrics,
                case.id)


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "DELETE FROM opportunities", "SELECT 1; DELETE FROM opportunities",
    "CREATE TABLE stolen AS SELECT 1 AS x", "SELECT * INTO stolen FROM opportunities",
])
def test_writes_are_refused_and_nothing_changes(sqla, statement):
    count = "SELECT count(*) AS n FROM opportunities"
    before = sqla.execute(count).column("n")[0].as_py()
    with pytest.raises(engine.AdapterError, match="only a single SELECT"):
        sqla.execute(statement)
    assert sqla.execute(count).column("n")[0].as_py() == before


@pytest.mark.postgres
def test_transactions_are_read_only(sqla):
    with pytest.raises(engine.AdapterError, match="read-only transaction"):
        sqla.execute("SELECT nextval('counter') AS n")
    assert sqla.execute("SELECT last_value FROM counter").column(0)[0].as_py() == 1


@pytest.mark.postgres
def test_errors_are_clean_and_the_connection_survives(sqla):
    with pytest.raises(engine.AdapterError) as raised:
        sqla.execute("SELECT no_such_column FROM opportunities")
    assert "\n" not in str(raised.value) and "no_such_column" in str(raised.value)
    assert sqla.execute("SELECT 1 AS ok").column("ok").to_pylist() == [1]


def test_refused_connection_masks_the_password():
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    with pytest.raises(engine.AdapterError) as raised:
        GenericAdapter(url="postgresql+psycopg://u:hunter2-pw@127.0.0.1:1/db",
                       connect_timeout=2)
    assert "hunter2-pw" not in str(raised.value) and "cannot connect" in str(raised.value)
