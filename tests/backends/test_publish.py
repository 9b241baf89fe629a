"""`metrics publish` for real on PostgreSQL, MariaDB and DuckDB: views for BI tools.

Each engine gets the sample (PostgreSQL and MariaDB: the schemas the conftest fixtures seed;
DuckDB: a database file of this module's own, in schema `crm`), and every test publishes into
a schema of its own, dropped afterwards. Checked: the views exist, their columns are `period`,
the dimensions and the metrics, their comments (PostgreSQL, DuckDB; MariaDB has none), and
each view's rows equal `metrics run --format csv` of the same request on the same target (our
own run path: a consistency check) and, for won deals and won revenue, counts computed here
with pandas from examples/data (an independent one). Then the write rules: a second publish
needs --replace, a table (or anything but a view) of a view's name is never replaced, other
objects stay as they are, PostgreSQL and DuckDB write all or nothing while MariaDB commits
each statement, --dry-run connects to nothing, and hostile names are refused.

PostgreSQL and MariaDB tests carry their markers, so under CI=true a missing server fails
them instead of skipping (tests/conftest.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import io
import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import sqlglot
import yaml

from sales_metrics import engine
from sales_metrics.adapters.guard import ddl_problem
from sales_metrics.engine.publish import Publication, View, metric_comment, plan
from support import DATA_DIR, PROJECT_DIR, run_cli

FULL = {"grains": ["month", "quarter"],
        "views": [{"name": "kpis_by_region_month", "grain": "month", "by": ["region"]}]}
# Small views for the write rules: won_month reads opportunities only, leads_quarter leads too.
SMALL = {"grains": [],
         "views": [{"name": "won_month", "grain": "month", "metrics": ["deals_won", "won_revenue"],
                    "description": "Won deals per month."},
                   {"name": "leads_quarter", "grain": "quarter",
                    "metrics": ["leads_created", "deals_won"]}]}
ENGINES = [pytest.param("postgres", marks=pytest.mark.postgres),
           pytest.param("mysql", marks=pytest.mark.mysql), "duckdb"]


def unique(prefix: str = "kpis") -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def make_project(folder: Path, publish: dict) -> Path:
    """The catalog, its data read from examples/data by absolute path, with `publish:`."""
    dest = folder / "proj"
    shutil.copytree(PROJECT_DIR, dest)
    text = (dest / "project.yml").read_text()
    text = text.replace("data: ../examples/data", f"data: {DATA_DIR}")
    text = text.replace("[../examples/data]", f"[{DATA_DIR}]")
    (dest / "project.yml").write_text(text + "\n" + yaml.safe_dump({"publish": publish}))
    return dest


# ----------------------------------------------------------------------------- the engines


class Backend(ABC):
    """One engine as the tests see it: how the CLI reaches a sample on it, and SQL of the
    test's own (a connection of its own, opened per call)."""

    name = dialect = ""

    @abstractmethod
    def flags(self, sample: str) -> list[str]:
        """Each engine's own."""

    @abstractmethod
    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Each engine's own."""

    def run(self, sql: str) -> None:
        self.rows(sql)

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def frame(self, sql: str) -> pd.DataFrame:
        names, rows = self.rows(sql)
        return pd.DataFrame.from_records(rows, columns=names)

    def objects(self, schema: str) -> dict[str, str]:
        """Name -> table_type of everything information_schema lists in a schema."""
        return dict(self.rows("SELECT table_name, table_type FROM information_schema.tables "
                              f"WHERE table_schema = '{schema}'")[1])

    def columns(self, schema: str, view: str) -> list[str]:
        return [r[0] for r in self.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            f"'{schema}' AND table_name = '{view}' ORDER BY ordinal_position")[1]]

    def schema_exists(self, schema: str) -> bool:
        return bool(self.rows("SELECT schema_name FROM information_schema.schemata WHERE "
                              f"schema_name = '{schema}'")[1])

    def drop(self, schema: str) -> None:
        self.run(f"DROP SCHEMA IF EXISTS {self.quote(schema)} CASCADE")

    @abstractmethod
    def comments(self, schema: str, view: str) -> tuple[str | None, dict[str, str | None]]:
        """Each engine's own."""

    def seed_only(self, schema: str, tables: list[str]) -> None:
        """A sample of only these tables, in a schema of its own."""
        import pyarrow.parquet as pq

        with self.writer() as writer:
            for name in tables:
                writer.load_table(name, pq.read_table(DATA_DIR / f"{name}.parquet"), schema)

    @abstractmethod
    def writer(self):
        """Each engine's own."""


class Postgres(Backend):
    name = dialect = "postgres"

    def __init__(self, url: str, sample: str, folder: Path) -> None:
        self.url, self.sample, self.folder = url, sample, folder

    def flags(self, sample: str) -> list[str]:
        folder = self.folder / sample
        folder.mkdir(exist_ok=True)
        target = {"type": "postgres", "url": self.url, "schema": sample}
        (folder / "profiles.yml").write_text(yaml.safe_dump(
            {"acme_sales": {"outputs": {"t": target}}}))
        return ["--target", "t", "--profiles-dir", str(folder)]

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(sql.encode())
            if cur.description is None:
                return [], []
            return [c.name for c in cur.description], cur.fetchall()

    def comments(self, schema, view):
        relation = f"{self.quote(schema)}.{self.quote(view)}"
        own = self.rows(f"SELECT obj_description('{relation}'::regclass, 'pg_class')")[1][0][0]
        columns = dict(self.rows(
            f"SELECT attname, col_description(attrelid, attnum) FROM pg_attribute WHERE "
            f"attrelid = '{relation}'::regclass AND attnum > 0 ORDER BY attnum")[1])
        return own, columns

    def writer(self):
        from sales_metrics.adapters.postgres import PostgresAdapter

        return PostgresAdapter(url=self.url, writable=True)


class MySQL(Backend):
    name, dialect = "mysql", "mysql"

    def __init__(self, url: str, sample: str, folder: Path) -> None:
        self.url, self.sample, self.folder = url, sample, folder

    def flags(self, sample: str) -> list[str]:
        folder = self.folder / sample
        folder.mkdir(exist_ok=True)
        target = {"type": "mysql", "url": self.url, "database": sample}
        (folder / "profiles.yml").write_text(yaml.safe_dump(
            {"acme_sales": {"outputs": {"t": target}}}))
        return ["--target", "t", "--profiles-dir", str(folder)]

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        import pymysql

        parts = urlsplit(self.url)
        with pymysql.connect(host=parts.hostname, port=parts.port or 3306,
                             user=parts.username or "root", password=parts.password or "",
                             autocommit=True) as conn, conn.cursor() as cur:
            if "mariadb" in conn.get_server_info().lower():
                # as a BI tool's session should (README, Views for BI tools): without these
                # MariaDB reads the catalog's by-region view in minutes, not seconds
                cur.execute("SET SESSION join_cache_level = 8")
                cur.execute("SET SESSION optimizer_switch = 'derived_merge=off'")
            cur.execute(sql)
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], list(cur.fetchall())

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def drop(self, schema: str) -> None:
        self.run(f"DROP DATABASE IF EXISTS {self.quote(schema)}")

    def comments(self, schema, view):
        return None, {}  # MySQL and MariaDB keep no comments on views

    def writer(self):
        from sales_metrics.adapters.mysql import MySQLAdapter

        return MySQLAdapter(url=self.url, writable=True)


class DuckDB(Backend):
    name = dialect = "duckdb"

    def __init__(self, file: Path, sample: str) -> None:
        self.file, self.sample = file, sample

    def flags(self, sample: str) -> list[str]:
        return ["--connection", f"duckdb:///{self.file}?schema={sample}"]

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        import duckdb

        con = duckdb.connect(str(self.file))  # closed at once: the CLI needs the file lock
        try:
            cur = con.execute(sql)
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()
        finally:
            con.close()

    def comments(self, schema, view):
        own = self.rows(f"SELECT comment FROM duckdb_views() WHERE schema_name = '{schema}' "
                        f"AND view_name = '{view}'")[1][0][0]
        columns = dict(self.rows(
            f"SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = "
            f"'{schema}' AND table_name = '{view}' ORDER BY column_index")[1])
        return own, columns

    def writer(self):
        from sales_metrics.adapters.duckdb import DuckDBAdapter

        return DuckDBAdapter(database=str(self.file), writable=True)


@pytest.fixture(scope="module")
def duck_file(tmp_path_factory):
    """The sample in schema `crm` of a database file (its name must not be a schema's:
    DuckDB calls the file's catalog after it)."""
    from sales_metrics.adapters.duckdb import DuckDBAdapter
    from sales_metrics.adapters.seed import seed

    path = tmp_path_factory.mktemp("duck") / "warehouse.duckdb"
    with DuckDBAdapter(database=str(path), writable=True) as writer:
        seed(writer, DATA_DIR, "crm")
    return path


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    made: dict[str, Backend] = {}
    return made, tmp_path_factory


@pytest.fixture
def backend(request, backends) -> Backend:
    made, factory = backends
    name = request.param
    if name not in made:
        folder = factory.mktemp(f"profiles-{name}")
        if name == "postgres":
            made[name] = Postgres(request.getfixturevalue("pg_url"),
                                  request.getfixturevalue("pg_schema"), folder)
        elif name == "mysql":
            made[name] = MySQL(request.getfixturevalue("mysql_url"),
                               request.getfixturevalue("mysql_database"), folder)
        else:
            made[name] = DuckDB(request.getfixturevalue("duck_file"), "crm")
    return made[name]


@pytest.fixture
def schema(backend):
    name = unique()
    yield name
    backend.drop(name)


@pytest.fixture(scope="module")
def full_project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("full"), FULL)


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("small"), SMALL)


def publish(backend: Backend, project: Path, schema: str, *extra: str, sample: str | None = None):
    return run_cli("publish", "-p", str(project), *backend.flags(sample or backend.sample),
                   "--schema", schema, *extra)


def one_clean_line(result, code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# ----------------------------------------------------------------------------- what is created


@pytest.mark.parametrize("backend", ENGINES, indirect=True)
def test_views_hold_the_metrics_and_equal_metrics_run(backend, schema, full_project):
    result = publish(backend, full_project, schema)
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("publish writes to ") and f"creates 3 views in schema '{schema}'" \
        in first, result.stderr
    project = engine.load_project(full_project)
    published = plan(project, backend.dialect, schema)
    assert {name: "VIEW" for name in published.names} == backend.objects(schema)
    for view in published.views:
        columns = backend.columns(schema, view.name)
        assert columns == ["period", *view.by, *view.metrics]
        expected = _run_csv(backend, full_project, view)
        assert list(expected.columns) == columns
        actual = backend.frame(f"SELECT * FROM {backend.quote(schema)}.{backend.quote(view.name)}")
        assert_same(actual, expected, ["period", *view.by], view.name)
        _check_comments(backend, schema, view, project)
    _check_independently(backend, schema)


def _run_csv(backend: Backend, project: Path, view: View) -> pd.DataFrame:
    args = ["run", "-p", str(project), *backend.flags(backend.sample), "--grain", view.grain,
            "--format", "csv"]
    for name in view.by:
        args += ["--by", name]
    for name in view.metrics:
        args += ["-m", name]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], what: str):
    """Same rows, keyed by period and dimensions; values within 1e-9 (relative or absolute)."""
    assert list(actual.columns) == list(expected.columns), what
    left, right = _keyed(actual, keys), _keyed(expected, keys)
    assert list(left.index) == list(right.index), what
    for column in left.columns:
        np.testing.assert_allclose(_numbers(left[column]), _numbers(right[column]), rtol=1e-9,
                                   atol=1e-9, equal_nan=True, err_msg=f"{what}.{column}")


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for key in keys:
        frame[key] = frame[key].map(lambda v: "" if v is None or v == "" else str(v)[:10]
                                    if key == "period" else str(v))
    return frame.set_index(keys).sort_index()


def _numbers(column: pd.Series) -> np.ndarray:
    return np.array([np.nan if v is None or v == "" else float(v) for v in column], dtype=float)


def _check_comments(backend: Backend, schema: str, view: View, project) -> None:
    own, columns = backend.comments(schema, view.name)
    if backend.name == "mysql":  # documented: MySQL/MariaDB views carry no comments
        return
    assert own == view.comment and own.startswith(f"KPIs per {view.grain}")
    assert columns["period"] == f"First day of the {view.grain}."
    for name in view.metrics:
        assert columns[name] == metric_comment(project.metrics[name])
    assert columns["win_rate"].startswith("Opportunity win rate: ")
    for dimension in view.by:
        assert columns[dimension].startswith(f"Dimension {dimension}")


def _check_independently(backend: Backend, schema: str) -> None:
    """Won deals per month and won revenue per month and region, computed here from the
    sample files with pandas, equal what the views return."""
    opportunities = pd.read_parquet(DATA_DIR / "opportunities.parquet")
    reps = pd.read_parquet(DATA_DIR / "reps.parquet")[["rep_id", "region"]]
    won = opportunities[opportunities["stage"] == "won"].copy()
    won["period"] = won["closed_at"].dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    per_month = won.groupby("period").size()
    view = backend.frame(f"SELECT period, deals_won FROM {backend.quote(schema)}."
                         f"{backend.quote('kpis_month')}")
    got = {str(p)[:10]: int(n) for p, n in zip(view["period"], view["deals_won"])}
    assert {p: n for p, n in got.items() if n} == per_month.to_dict()
    assert set(per_month.index) <= set(got)
    won = won.merge(reps, left_on="owner_rep_id", right_on="rep_id", how="left")
    revenue = won.groupby(["period", "region"])["amount"].sum()
    view = backend.frame(f"SELECT period, region, won_revenue FROM {backend.quote(schema)}."
                         f"{backend.quote('kpis_by_region_month')}")
    got = {(str(p)[:10], r): float(v) for p, r, v in
           zip(view["period"], view["region"], view["won_revenue"]) if float(v)}
    assert got.keys() == revenue.to_dict().keys()
    for key, value in revenue.items():
        assert got[key] == pytest.approx(value, rel=1e-9)


# ----------------------------------------------------------------------------- what is written


@pytest.mark.parametrize("backend", ENGINES, indirect=True)
def test_a_second_publish_needs_replace_and_changes_nothing(backend, schema, small_project):
    assert publish(backend, small_project, schema).returncode == 0
    before = _definitions(backend, schema)
    line = one_clean_line(publish(backend, small_project, schema))
    assert f"schema '{schema}' already has views leads_quarter, won_month; pass --replace" in line
    assert _definitions(backend, schema) == before
    result = publish(backend, small_project, schema, "--replace")
    assert result.returncode == 0, result.stderr
    assert "creates or replaces 2 views" in result.stderr
    assert set(backend.objects(schema)) == {"won_month", "leads_quarter"}


def _definitions(backend: Backend, schema: str) -> dict:
    objects = backend.objects(schema)
    if backend.name == "postgres":  # a replaced view is a new relation: its oid changes
        oids = dict(backend.rows(
            f"SELECT c.relname, c.oid::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = "
            f"c.relnamespace WHERE n.nspname = '{schema}'")[1])
        return {"objects": objects, "oids": oids}
    return {"objects": objects}


@pytest.mark.parametrize("backend", ENGINES, indirect=True)
def test_a_table_of_a_views_name_is_never_replaced(backend, schema, small_project):
    backend.run(f"CREATE SCHEMA {backend.quote(schema)}")
    table = f"{backend.quote(schema)}.{backend.quote('won_month')}"
    backend.run(f"CREATE TABLE {table} (x INT)")
    backend.run(f"INSERT INTO {table} VALUES (42)")
    line = one_clean_line(publish(backend, small_project, schema, "--replace"))
    assert "already has won_month (a table)" in line and "never replaces" in line
    assert backend.rows(f"SELECT x FROM {table}")[1] == [(42,)]
    assert set(backend.objects(schema)) == {"won_month"}  # leads_quarter not created either


@pytest.mark.parametrize("backend", ENGINES, indirect=True)
def test_other_objects_in_the_schema_stay_as_they_are(backend, schema, small_project):
    q = backend.quote
    backend.run(f"CREATE SCHEMA {q(schema)}")
    backend.run(f"CREATE TABLE {q(schema)}.{q('keep')} (x INT)")
    backend.run(f"INSERT INTO {q(schema)}.{q('keep')} VALUES (7)")
    backend.run(f"CREATE VIEW {q(schema)}.{q('mine')} AS SELECT 1 AS y")
    for extra in ((), ("--replace",)):
        assert publish(backend, small_project, schema, *extra).returncode == 0
        objects = backend.objects(schema)
        assert set(objects) == {"keep", "mine", "won_month", "leads_quarter"}
        assert backend.rows(f"SELECT x FROM {q(schema)}.{q('keep')}")[1] == [(7,)]
        assert backend.rows(f"SELECT y FROM {q(schema)}.{q('mine')}")[1] == [(1,)]


@pytest.mark.parametrize("backend", ENGINES, indirect=True)
def test_a_failure_midway_writes_nothing_where_ddl_is_transactional(backend, schema,
                                                                   small_project):
    """A sample without `leads`: won_month can be created, leads_quarter cannot. PostgreSQL
    and DuckDB roll the whole publish back (the schema too); MariaDB commits each statement,
    as the README says, and the error says how far it got."""
    sample = unique("only_opportunities")
    try:
        backend.seed_only(sample, ["opportunities"])
        result = publish(backend, small_project, schema, sample=sample)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        error = result.stderr.strip().splitlines()[-1]
        assert error.startswith("error: ") and "cannot publish" in error
        if backend.name == "mysql":
            assert "after 2 of 3 statements" in error, error
            assert set(backend.objects(schema)) == {"won_month"}
        else:
            assert "nothing was written" in error, error
            assert not backend.schema_exists(schema)
    finally:
        backend.drop(sample)


@pytest.mark.parametrize("backend", ENGINES, indirect=True)
def test_dry_run_writes_nothing_and_prints_ddl_in_the_dialect(backend, schema, small_project):
    result = publish(backend, small_project, schema, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "nothing was sent" in result.stderr
    assert not backend.schema_exists(schema)
    _check_ddl(result.stdout, backend.dialect, schema, {"won_month", "leads_quarter"})


def _check_ddl(text: str, dialect: str, schema: str, views: set[str]) -> list:
    trees = [t for t in sqlglot.parse(text, read=dialect) if t is not None]
    kinds = [(type(t).__name__, str(t.args.get("kind"))) for t in trees]
    assert kinds[0] == ("Create", "SCHEMA")
    assert sum(k == ("Create", "VIEW") for k in kinds) == len(views)
    for statement in text.split(";\n\n"):
        assert ddl_problem(statement.rstrip(";\n"), dialect, schema, views) is None, statement
    return trees


@pytest.mark.parametrize("url, dialect", [
    ("postgresql://nobody@127.0.0.1:1/nothing", "postgres"),
    ("mysql://nobody@127.0.0.1:1/nothing", "mysql"),
    ("duckdb:////no/such/folder/file.duckdb?schema=crm", "duckdb")])
def test_dry_run_connects_to_nothing_and_its_views_are_the_compiled_sql(
        url, dialect, small_project):
    """Nothing listens on port 1 and the DuckDB file does not exist: a dry run still works.
    Each view's body is `metrics compile` of its request, with no date range in it."""
    result = run_cli("publish", "-p", str(small_project), "--connection", url, "--dry-run",
                     "--replace")
    assert result.returncode == 0, result.stderr
    trees = _check_ddl(result.stdout, dialect, "kpis", {"won_month", "leads_quarter"})
    project = engine.load_project(small_project)
    bodies = {t.this.name: t.expression for t in trees if t.args.get("kind") == "VIEW"
              and isinstance(t, sqlglot.exp.Create)}
    for view in SMALL["views"]:
        compiled = project.compile(view["metrics"], dialect=dialect, grain=view["grain"])
        if dialect == "duckdb":  # its tables are named in the target's schema (see module)
            compiled = compiled.replace("FROM opportunities", 'FROM "crm".opportunities')
            compiled = compiled.replace("FROM leads", 'FROM "crm".leads')
        assert bodies[view["name"]] == sqlglot.parse_one(compiled, read=dialect)
    if dialect == "postgres":
        assert "DROP VIEW IF EXISTS" in result.stdout  # --replace: drop and create, atomically
    elif dialect == "mysql":
        assert "COMMENT ON" not in result.stdout  # none on MySQL views
    assert "2024-" not in result.stdout and "2025-" not in result.stdout


@pytest.mark.postgres
def test_a_publisher_with_rights_on_its_schema_only_can_publish(pg_url, pg_schema, tmp_path,
                                                                small_project):
    """A role that may create in the publish schema but not in the database: an existing
    schema is not created again (CREATE SCHEMA IF NOT EXISTS would need the database's
    CREATE privilege even then)."""
    admin = Postgres(pg_url, pg_schema, tmp_path)
    role, schema = unique("publisher"), unique()
    parts = urlsplit(pg_url)
    as_role = Postgres(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}")
                       .geturl(), pg_schema, tmp_path)
    try:
        admin.run(f'CREATE ROLE "{role}" LOGIN')
        admin.run(f'CREATE SCHEMA "{schema}"')
        admin.run(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{role}"')
        admin.run(f'GRANT USAGE ON SCHEMA "{pg_schema}" TO "{role}"')
        admin.run(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{pg_schema}" TO "{role}"')
        result = publish(as_role, small_project, schema)
        assert result.returncode == 0, result.stderr
        assert set(admin.objects(schema)) == {"won_month", "leads_quarter"}
        other = unique()
        result = publish(as_role, small_project, other)  # a schema it may not create
        assert result.returncode == 2 and "Traceback" not in result.stderr
        error = result.stderr.strip().splitlines()[-1]
        assert "permission denied" in error and "nothing was written" in error
        assert not admin.schema_exists(other)
    finally:
        admin.drop(schema)
        admin.run(f'DROP OWNED BY "{role}"')
        admin.run(f'DROP ROLE IF EXISTS "{role}"')


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("name", ["kpis; drop table x", 'k"p', "k`p", "1kpis", "", "x" * 64,
                                  "kpis.other"])
def test_a_hostile_schema_name_is_refused_before_connecting(name, small_project):
    result = run_cli("publish", "-p", str(small_project), "--connection",
                     "postgresql://nobody@127.0.0.1:1/nothing", "--schema", name)
    line = one_clean_line(result)
    assert "is not a plain name" in line


def test_a_hostile_name_that_reaches_the_builder_is_quoted_whole():
    hostile = 'kpis"; DROP TABLE x; --'
    view = View("v", "month", (), ("deals_won",), "SELECT 1 AS deals_won", "c", {})
    for dialect in ("postgres", "mysql", "duckdb"):
        statements = Publication(hostile, dialect, (view,)).statements(replace=True)
        for statement in statements:
            trees = [t for t in sqlglot.parse(statement, read=dialect) if t is not None]
            assert len(trees) == 1
            assert ddl_problem(statement, dialect, hostile, {"v"}) is None
            assert ddl_problem(statement, dialect, "kpis", {"v"}) is not None


@pytest.mark.parametrize("statement", [
    'CREATE SCHEMA "kpis"', 'CREATE SCHEMA IF NOT EXISTS "other"',
    'CREATE VIEW "kpis"."stranger" AS SELECT 1', 'CREATE VIEW kpis.won_month AS SELECT 1',
    'CREATE VIEW "kpis"."won_month" AS SELECT 1; DROP TABLE t',
    'CREATE MATERIALIZED VIEW "kpis"."won_month" AS SELECT 1',
    'CREATE TEMPORARY VIEW "kpis"."won_month" AS SELECT 1',
    'CREATE TABLE "kpis"."won_month" AS SELECT 1',
    'CREATE VIEW "kpis"."won_month" AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
    'CREATE VIEW "kpis"."won_month" AS SELECT * FROM t FOR UPDATE',
    'DROP VIEW "kpis"."won_month" CASCADE', 'DROP TABLE "kpis"."won_month"',
    'DROP VIEW "kpis"."won_month", "kpis"."other"', 'DROP SCHEMA "kpis"',
    'COMMENT ON TABLE "kpis"."won_month" IS \'x\'',
    'COMMENT ON COLUMN "kpis"."other"."a" IS \'x\'', "GRANT SELECT ON t TO x",
    "SELECT 1", "INSERT INTO t VALUES (1)"])
def test_the_ddl_guard_refuses_anything_else(statement):
    assert ddl_problem(statement, "postgres", "kpis", {"won_month"}) is not None


def test_the_adapter_checks_the_whole_batch_before_sending_any(tmp_path, duck_file):
    from sales_metrics.adapters.duckdb import DuckDBAdapter

    file = tmp_path / "copy.duckdb"
    shutil.copy(duck_file, file)
    good = 'CREATE SCHEMA IF NOT EXISTS "k"'
    with DuckDBAdapter(database=str(file), writable=True) as conn:
        with pytest.raises(engine.AdapterError, match="refused: publishing runs only"):
            conn.create_views("k", ["v"], [good, 'DROP TABLE "crm"."opportunities"'], False)
        assert conn.con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = "
                                "'k'").fetchone() == (0,)
    with DuckDBAdapter(database=str(file)) as conn:
        with pytest.raises(engine.AdapterError, match="read-only"):
            conn.create_views("k", ["v"], [good], False)
        with pytest.raises(engine.AdapterError, match="only a single SELECT"):
            conn.execute(good)  # the read path's guard is as strict as ever


@pytest.mark.parametrize("backend", ENGINES[:2], indirect=True)
def test_the_read_path_still_refuses_publish_statements(backend):
    from sales_metrics.adapters.mysql import MySQLAdapter
    from sales_metrics.adapters.postgres import PostgresAdapter

    conn = PostgresAdapter(url=backend.url) if backend.name == "postgres" else \
        MySQLAdapter(url=backend.url)
    with conn:
        for statement in (f'CREATE SCHEMA IF NOT EXISTS {backend.quote("k")}',
                          f'CREATE VIEW {backend.quote("k")}.{backend.quote("v")} AS SELECT 1'):
            with pytest.raises(engine.AdapterError, match="only a single SELECT"):
                conn.execute(statement)
        with pytest.raises(engine.AdapterError, match="read-only"):
            conn.create_views("k", ["v"], ['CREATE SCHEMA IF NOT EXISTS "k"'], False)


def test_bad_input_is_one_clean_line(tmp_path, small_project):
    broken = make_project(tmp_path, {"views": [{"name": "v", "grain": "month",
                                                "metrics": ["deals_wno"]}]})
    line = one_clean_line(run_cli("publish", "-p", str(broken), "--dry-run", "--connection",
                                  "postgresql://nobody@127.0.0.1:1/x"))
    assert "publish view 'v': metric 'deals_wno'" in line and "did you mean 'deals_won'" in line
    for url, words in [("sqlite:///x.db", "not on 'sqlite'"),
                       ("duckdb:///:memory:", "in-memory DuckDB"),
                       (f"duckdb:///{tmp_path}/none.duckdb", "does not exist")]:
        line = one_clean_line(run_cli("publish", "-p", str(small_project), "--connection", url))
        assert words in line, line
    assert not (tmp_path / "none.duckdb").exists()


# ----------------------------------------------------------------------------- the defaults


def test_default_views_are_one_per_declared_grain():
    project = engine.load_project(PROJECT_DIR)
    declared = {m.grain.value for m in project.metrics.values()}
    published = plan(project, "postgres")
    assert published.schema == "kpis"
    order = ["day", "week", "month", "quarter", "year", "all"]
    assert published.names == [f"kpis_{g}" for g in order if g in declared]
    for view in published.views:
        runnable, _ = project.runnable(project.metrics, grain=view.grain)
        assert set(view.metrics) == set(runnable)  # PostgreSQL can compute all of them


def test_mysql_views_leave_out_what_mysql_cannot_compute():
    project = engine.load_project(PROJECT_DIR)
    published = plan(project, "mysql")
    left = {(view, metric) for view, metric, why in published.skipped
            if "does not support" in why}
    assert ("kpis_month", "median_days_lead_to_mql") in left
    for view in published.views:
        assert not {metric for name, metric in left if name == view.name} & set(view.metrics)


def test_duckdb_views_stay_live_over_the_data(tmp_path, duck_file, small_project):
    """A view has no date range: a won deal in a month after the data's last shows up."""
    file = tmp_path / "live.duckdb"
    shutil.copy(duck_file, file)
    duck = DuckDB(file, "crm")
    assert publish(duck, small_project, "kpis").returncode == 0
    before = duck.rows('SELECT max(period), count(*) FROM kpis."won_month"')[1][0]
    duck.run("INSERT INTO crm.opportunities (opportunity_id, stage, amount, created_at, "
             "closed_at) VALUES (-1, 'won', 100.0, TIMESTAMP '2031-05-02', "
             "TIMESTAMP '2031-05-03')")
    last = duck.rows('SELECT period, deals_won, won_revenue FROM kpis."won_month" '
                     "ORDER BY period DESC LIMIT 1")[1][0]
    assert str(last[0]) == "2031-05-01" and last[1:] == (1, 100.0)
    assert duck.rows('SELECT count(*) FROM kpis."won_month"')[1][0][0] > before[1]
