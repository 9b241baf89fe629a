"""Sources that build on sources, and the one folder every relative path is relative to.

- In a `sql:` source, a table name that names another source reads that source: its table,
  its file (a `path:` source) or its query, recursively; on every dialect. A loop between
  sources, and a name that is neither a source nor a data file, are one located line each.
- `path:`, `data:` and `allowed_paths` are relative to project.yml's folder, wherever the CLI
  runs; a `sql:` source cannot name a file itself (relative or not): it reads `path:` sources.

Expected numbers are worked out by hand from the few rows each test writes.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from sales_metrics import engine

from support import run_cli

LINT = ("lint: {missing-label: off, missing-description: off, missing-owner: off, "
        "missing-format: off, unused-source: off, unused-dimension: off}\n")
DEALS_CSV = """deal_id,created_at,stage,amount
1,2025-01-05 10:00:00,won,100
2,2025-01-20 10:00:00,test,1000
3,2025-02-03 10:00:00,lost,40
4,2025-02-14 10:00:00,won,250
5,2025-03-01 10:00:00,won,30
"""


def project_at(root: Path, definitions: str, connection: str = "{type: duckdb, data: data}"
               ) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "deals.csv").write_text(DEALS_CSV)
    (root / "project.yml").write_text(f"name: p\nconnection: {connection}\n" + LINT)
    (root / "m.yml").write_text(textwrap.dedent(definitions).lstrip("\n"))
    return root


def located(root: Path, needle: str, nth: int = 0) -> str:
    """'<m.yml>:line:col' of the nth occurrence of ``needle`` in m.yml, found by reading it."""
    seen = 0
    for number, line in enumerate((root / "m.yml").read_text().splitlines(), 1):
        start = line.find(needle)
        while start >= 0:
            if seen == nth:
                return f"{root / 'm.yml'}:{number}:{start + 1}"
            seen += 1
            start = line.find(needle, start + 1)
    raise AssertionError(f"{needle!r} is not in m.yml")


def one_error(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error[" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


def tables_read(sql: str, dialect: str) -> set[str]:
    """Every table a compiled query reads (its CTE names left out), as db.name."""
    tree = sqlglot.parse_one(sql, read=dialect)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {".".join(p for p in (t.db, t.name) if p) for t in tree.find_all(exp.Table)
            if t.name and t.name not in ctes and isinstance(t.this, exp.Identifier)}


# ------------------------------------------------------------------- sources built on sources

WAREHOUSE = """
sources:
  - name: deals
    table: crm.raw_deals
    time: created_at
  - name: real_deals
    sql: "select *, amount * 0.9 as net from deals where stage <> 'test'"
    time: created_at
  - name: won_deals
    sql: |
      select r.*
      from real_deals as r
      where r.stage = 'won'
    time: created_at
  - name: both
    sql: "select * from won_deals union all select * from WON_DEALS"
    time: created_at
metrics:
  - name: net_won
    source: won_deals
    numerator: sum(net)
  - name: doubled
    source: both
    numerator: count(*)
"""


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "snowflake", "bigquery", "tsql"])
def test_names_of_sources_read_their_relations_on_every_dialect(tmp_path, dialect):
    project = engine.load_project(project_at(tmp_path, WAREHOUSE, "{type: postgres}"))
    sql = project.compile(["net_won", "doubled"], grain="month", dialect=dialect)
    assert tables_read(sql, dialect) == {"crm.raw_deals"}  # never a table named after a source


def test_sources_built_on_sources_compute_what_their_queries_say(tmp_path):
    project = engine.load_project(project_at(tmp_path, WAREHOUSE, "{type: postgres}"))
    con = duckdb.connect()
    con.execute("CREATE SCHEMA crm")
    con.execute(f"CREATE TABLE crm.raw_deals AS SELECT * FROM read_csv_auto("
                f"'{tmp_path / 'data' / 'deals.csv'}')")
    rows = con.execute(project.compile(["net_won", "doubled"], grain="month",
                                       dialect="duckdb")).fetchall()
    got = {str(period)[:7]: (net, n) for period, net, n in rows}
    # won deals, net of 10%: January 100 -> 90, February 250 -> 225, March 30 -> 27; the
    # "test" deal is out. `both` reads won_deals twice (once as WON_DEALS, unquoted).
    assert got == {"2025-01": (pytest.approx(90.0), 2), "2025-02": (pytest.approx(225.0), 2),
                   "2025-03": (pytest.approx(27.0), 2)}


def test_a_path_source_is_read_by_name_through_its_file(tmp_path):
    root = project_at(tmp_path, """
        sources:
          - name: deals_file
            path: data/deals.csv
            time: created_at
          - name: net_deals
            sql: "select *, amount * 0.9 as net from deals_file where stage <> 'test'"
            time: created_at
        metrics:
          - name: net_amount
            source: net_deals
            numerator: sum(net)
        """)
    assert run_cli("validate", str(root)).returncode == 0
    result = run_cli("run", "-m", "net_amount", "--grain", "month", "--format", "csv",
                     "--project", str(root), cwd=Path("/"))
    assert result.returncode == 0, result.stderr
    # (100) * 0.9, (40 + 250) * 0.9, 30 * 0.9: the 1000 "test" deal is left out
    lines = result.stdout.splitlines()
    assert lines[0] == '"period","net_amount"'
    got = {p: float(v) for p, v in (line.split(",") for line in lines[1:])}
    assert got == pytest.approx({"2025-01-01": 90.0, "2025-02-01": 261.0, "2025-03-01": 27.0})


def test_a_source_s_own_name_and_a_cte_name_are_tables(tmp_path):
    project = engine.load_project(project_at(tmp_path, """
        sources:
          - name: deals
            sql: select * from deals where amount > 50
            time: created_at
          - name: other
            table: crm.other_deals
            time: created_at
          - name: shadowed
            sql: "with other as (select * from deals) select * from other"
            time: created_at
        metrics:
          - name: n
            source: deals
            numerator: count(*)
          - name: m
            source: shadowed
            numerator: count(*)
        """, "{type: postgres}"))
    # `deals` in source deals' own query is the table deals; `other` there is the CTE
    assert tables_read(project.compile(["n", "m"], dialect="postgres"), "postgres") == {"deals"}


def test_a_quoted_name_must_match_the_source_s_case(tmp_path):
    project = engine.load_project(project_at(tmp_path, """
        sources:
          - name: deals
            table: crm.raw_deals
            time: created_at
          - name: loud
            sql: 'select * from "DEALS"'
            time: created_at
        metrics:
          - name: n
            source: loud
            numerator: count(*)
        """, "{type: postgres}"))
    assert tables_read(project.compile(["n"], dialect="postgres"), "postgres") == {"DEALS"}


def test_a_loop_between_sources_is_one_located_line(tmp_path):
    root = project_at(tmp_path, """
        sources:
          - name: a
            sql: select * from b
            time: created_at
          - name: b
            sql: >
              select *
              from c
            time: created_at
          - name: c
            sql: "select * from a where amount > 0"
            time: created_at
        metrics:
          - name: n
            source: a
            numerator: count(*)
        """)
    for command in (["validate", str(root)], ["run", "-m", "n", "--project", str(root)],
                    ["compile", "n", "--project", str(root)]):
        line = one_error(run_cli(*command))
        # found while reading c, which reads a back: at the name `a` in c's query
        assert line.startswith(f"{located(root, 'a where')}: error[source-cycle] "), line
        assert "sources read each other in a loop: c -> a -> b -> c" in line


def test_two_sources_reading_each_other(tmp_path):
    project, diagnostics = engine.check_project(project_at(tmp_path, """
        sources:
          - name: x
            sql: select * from y
          - name: y
            sql: select * from x
        """))
    assert project is None
    cycles = [d.render() for d in diagnostics if d.code == "source-cycle"]
    name = located(tmp_path, "from x")
    path, col = name.rsplit(":", 1)
    assert cycles == [  # at the name x in y's query
        f"{path}:{int(col) + len('from ')}: error[source-cycle] sources read each other in a "
        "loop: y -> x -> y; read a table (or a file) in one of them; a source's own name in "
        "its sql: is the table of that name"]


def test_sources_built_too_deep_are_one_located_line(tmp_path):
    chain = "".join(f"  - name: s{i}\n    sql: select * from s{i - 1}\n" for i in range(1, 5))
    root = project_at(tmp_path, "sources:\n  - name: s0\n    table: t0\n" + chain)
    with (root / "project.yml").open("a") as f:
        f.write("limits: {metric_depth: 3}\n")
    _, diagnostics = engine.check_project(root)
    found = [d.render() for d in diagnostics if d.severity == "error"]
    # s1 reads one level of sources, s4 reads four: s4 is one too many
    assert found == [f"{located(root, 's3', nth=1)}: error[source-too-deep] source 's4' is built on "
                     "more than 3 levels of sources; read fewer levels, or raise "
                     "limits.metric_depth"]


@pytest.mark.parametrize("style", ["plain", "quoted", "block"])
def test_an_unknown_name_in_a_query_is_located_with_the_closest(tmp_path, style):
    query = "select *, amount * 0.9 as net from deal_file where stage <> 'test'"
    written = {"plain": f"sql: {query.replace(': ', ' ')}", "quoted": f'sql: "{query}"',
               "block": f"sql: |\n              {query}"}[style]
    root = project_at(tmp_path, f"""
        sources:
          - name: deals_file
            path: data/deals.csv
            time: created_at
          - name: net_deals
            {written}
            time: created_at
        metrics:
          - name: n
            source: net_deals
            numerator: sum(net)
        """)
    line = one_error(run_cli("validate", str(root)))
    assert line.startswith(f"{located(root, 'deal_file')}: error[missing-table] 'deal_file' "
                           "in the sql of source 'net_deals' is neither a source nor a file "
                           "of the data folder; did you mean 'deals_file'?"), line


def test_an_unknown_table_suggests_a_data_file_too(tmp_path):
    root = project_at(tmp_path, """
        sources:
          - name: big
            sql: select * from deal where amount > 100
            time: created_at
        metrics:
          - name: n
            source: big
            numerator: count(*)
        """)
    line = one_error(run_cli("validate", str(root)))
    assert line.startswith(f"{located(root, 'deal ')}: error[missing-table]")
    assert line.endswith("did you mean 'deals'?")
    (root / "m.yml").write_text((root / "m.yml").read_text().replace("from deal ", "from deals "))
    assert run_cli("validate", str(root)).returncode == 0


# ------------------------------------------------------------------- one folder for paths

@pytest.mark.parametrize("sql", ["select * from read_csv_auto('data/deals.csv')",
                                 "select * from read_parquet('deals.parquet')",
                                 "select * from 'data/deals.csv'"])
def test_a_query_cannot_name_a_file_even_relative(tmp_path, sql):
    root = project_at(tmp_path, f"""
        sources:
          - name: s
            sql: "{sql}"
            time: created_at
        metrics:
          - name: n
            source: s
            numerator: count(*)
        """)
    line = one_error(run_cli("validate", str(root)))
    value = located(root, '"select')  # the sql's value, where its quote opens
    assert line.startswith(f"{value}: error[file-access]"), line


def test_paths_are_relative_to_project_yml_not_to_the_working_directory(tmp_path, monkeypatch):
    root = project_at(tmp_path / "proj", """
        sources:
          - name: deals
            path: deals_here.csv
            time: created_at
        metrics:
          - name: n
            source: deals
            numerator: sum(amount)
        """)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "deals_here.csv").write_text(DEALS_CSV)  # beside the working directory only
    relative = os.path.relpath(root, elsewhere)
    line = one_error(run_cli("validate", relative, cwd=elsewhere))
    assert "error[missing-file] path 'deals_here.csv' of source 'deals' is not a file" in line
    (root / "deals_here.csv").write_text(DEALS_CSV)
    assert run_cli("validate", relative, cwd=elsewhere).returncode == 0
    monkeypatch.chdir(elsewhere)
    project = engine.load_project(Path(relative))
    assert str((root / "deals_here.csv").resolve()) in project.compile(["n"])
    result = run_cli("run", "-m", "n", "--grain", "year", "--format", "csv", "--project",
                     relative, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["2025-01-01,1420"]  # 100+1000+40+250+30


def test_allowed_paths_are_relative_to_project_yml(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "deals.csv").write_text(DEALS_CSV)
    root = project_at(tmp_path / "proj" / "metrics", """
        sources:
          - name: deals
            path: ../../shared/deals.csv
            time: created_at
        metrics:
          - name: n
            source: deals
            numerator: count(*)
        """)
    line = one_error(run_cli("validate", str(root), cwd=Path("/")))
    assert "error[path-outside-project]" in line
    with (root / "project.yml").open("a") as f:
        f.write("allowed_paths: [../../shared]\n")
    for cwd in (Path("/"), shared):
        assert run_cli("validate", str(root), cwd=cwd).returncode == 0
        result = run_cli("run", "-m", "n", "--grain", "year", "--format", "csv",
                         "--project", str(root), cwd=cwd)
        assert result.stdout.splitlines()[1:] == ["2025-01-01,5"], result.stderr


def test_a_new_project_runs_from_any_folder(tmp_path):
    assert run_cli("init", str(tmp_path / "new")).returncode == 0
    result = run_cli("run", "--format", "csv", "--project", str(tmp_path / "new" / "metrics"),
                     cwd=Path("/"))
    assert result.returncode == 0, result.stderr
    # by hand from the scaffold's data/deals.csv (see tests/cli/test_scaffold.py)
    assert result.stdout.splitlines() == ['"period","won_revenue","win_rate"',
                                          "2025-01-01,12000,0.5",
                                          "2025-02-01,34500,0.6666666666666666",
                                          "2025-03-01,57500,0.6"]
