"""Definitions and request flags cannot read outside the project: each hostile input is one
located line and exit 1 (definitions) or 2 (flags), never a traceback, never the secret.

Each case runs the CLI as a user would, in a project that has its data in data/ and a
secret file beside it (outside the project) holding a marker."""

from __future__ import annotations

import re
import textwrap
import uuid

import pytest

from support import PROJECT_DIR, run_cli

MARKER = f"SECRET-{uuid.uuid4().hex}"
LINT = ("lint: {missing-label: off, missing-description: off, missing-owner: off, "
        "missing-format: off, unused-source: off, unused-dimension: off}\n")
LOCATED = re.compile(r"^\S+\.yml:\d+:\d+: error\[[a-z-]+\] ")


@pytest.fixture
def project(tmp_path):
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.txt").write_text(MARKER + "\n")
    (secret / "secret.csv").write_text(f"t,content\n2024-01-01,{MARKER}\n")
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    (root / "data" / "deals.csv").write_text("created_at,amount\n2024-01-05,10\n2024-02-07,32\n")
    (root / "data" / "leak.csv").symlink_to(secret / "secret.csv")
    (root / "project.yml").write_text("name: p\nconnection: {type: duckdb, data: data}\n" + LINT)
    return root


def write(root, text: str, extra_project: str = "") -> None:
    (root / "m.yml").write_text(textwrap.dedent(text))
    if extra_project:
        with (root / "project.yml").open("a") as f:
            f.write(extra_project)


def source(line: str, dims: str = "content: content") -> str:
    return f"""
        sources:
          - name: keys
            {line}
            time: t
            dimensions: {{{dims}}}
        metrics:
          - name: n
            source: keys
            numerator: count(*)
    """


def refused(result, code: str, exit_code: int = 1) -> str:
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and MARKER not in result.stdout + result.stderr
    line = result.stderr.strip().splitlines()[0]
    assert code in line, result.stderr
    return line


SECRET_SQL = {
    "read_text": "select now() as t, content from read_text('{s}/secret.txt')",
    "read_blob": "select now() as t, content from read_blob('{s}/secret.txt')",
    "read_csv": "select * from read_csv('{s}/secret.csv')",
    "read_csv_auto": "select * from read_csv_auto('/etc/passwd')",
    "file as table": "select * from '{s}/secret.csv'",
    "glob": "select now() as t, file as content from glob('/*')",
    "getenv": "select now() as t, getenv('HOME') as content",
    "url": "select * from read_parquet('https://example.com/x.parquet')",
    "query()": "select * from query('select * from read_csv(''{s}/secret.csv'')')",
    "json": "select now() as t, json as content from read_json_objects('{s}/secret.txt')",
}


@pytest.mark.parametrize("sql", SECRET_SQL.values(), ids=SECRET_SQL.keys())
def test_a_source_query_reading_files_is_refused(sql, project):
    secret = project.parent / "outside"
    write(project, source(f'sql: "{sql.format(s=secret)}"'))
    line = refused(run_cli("validate", str(project)), "error[file-access]")
    assert LOCATED.match(line) and line.startswith(f"{project / 'm.yml'}:4:10:")  # sql's value
    refused(run_cli("run", "-m", "n", "--by", "content", "--project", str(project)),
            "error[file-access]")


@pytest.mark.parametrize("path", ["../outside/secret.csv", "../../../../../../../etc/passwd",
                                  "{s}/secret.csv", "data/leak.csv"],
                         ids=["dot-dot", "etc-passwd", "absolute", "symlink-out"])
def test_a_path_outside_the_project_is_refused(path, project):
    write(project, source(f"path: {path.format(s=project.parent / 'outside')}"))
    line = refused(run_cli("validate", str(project)), "error[path-outside-project]")
    assert LOCATED.match(line) and line.startswith(f"{project / 'm.yml'}:4:11:")  # path's value
    refused(run_cli("run", "-m", "n", "--by", "content", "--project", str(project)),
            "error[path-outside-project]")


def test_a_folder_in_allowed_paths_may_be_read(project):
    write(project, source("path: ../outside/secret.csv"), "allowed_paths: [../outside]\n")
    assert run_cli("validate", str(project)).returncode == 0
    result = run_cli("run", "-m", "n", "--by", "content", "--project", str(project),
                     "--format", "csv")
    assert result.returncode == 0 and MARKER in result.stdout  # declared, so readable


@pytest.mark.parametrize("fragment, where", [
    ("dimensions: {home: \"getenv('HOME')\"}", "home"),
    ("dimensions: {home: \"current_setting('home_directory')\"}", "home"),
    ("dimensions: {f: \"length(read_text('/etc/passwd'))\"}", "f"),
])
def test_a_dimension_reading_the_machine_is_refused(fragment, where, project):
    write(project, f"""
        sources:
          - name: deals
            table: deals
            time: created_at
            {fragment}
        metrics:
          - name: n
            source: deals
            numerator: count(*)
    """)
    line = refused(run_cli("validate", str(project)), "error[file-access]")
    assert ":6:" in line


def test_measures_filters_and_formulas_are_checked(project):
    write(project, """
        sources:
          - name: deals
            table: deals
            time: created_at
        metrics:
          - name: n
            source: deals
            numerator: count(*)
            filters: ["amount > length(getenv('HOME'))"]
          - name: m
            source: deals
            numerator: sum(amount) + length(read_text('/etc/hostname'))
          - name: f
            formula: n / length(getenv('PATH'))
    """)
    result = run_cli("validate", str(project))
    refused(result, "error[file-access]")
    lines = [ln for ln in result.stderr.splitlines() if "file-access" in ln]
    assert [ln.split(":")[1:3] for ln in lines] == [["10", "15"], ["13", "16"], ["15", "14"]]


@pytest.mark.parametrize("where", ["length(read_text('/etc/passwd')) > 0",
                                   "getenv('HOME') = 'x'",
                                   "product in (select content from read_text('/etc/passwd'))"])
def test_a_where_flag_reading_files_is_a_usage_error(where):
    result = run_cli("run", "-m", "win_rate", "--grain", "quarter", "--where", where,
                     "--project", str(PROJECT_DIR))
    line = refused(result, "--where", exit_code=2)
    assert "not a row filter" in line and result.stdout == ""


@pytest.mark.parametrize("sql, code", [
    ("attach '/tmp/x.duckdb' as x", "error["),
    ("copy (select 1) to '/tmp/out.csv'", "error["),
    ("install httpfs", "error["),
    ("set enable_external_access = true", "error["),
])
def test_statements_in_a_source_are_refused(sql, code, project):
    write(project, source(f'sql: "{sql}"'))
    refused(run_cli("validate", str(project)), code)


def test_a_data_folder_outside_the_project_is_refused(project):
    (project / "project.yml").write_text(
        "name: p\nconnection: {type: duckdb, data: ../outside}\n" + LINT)
    write(project, source("table: secret"))
    line = refused(run_cli("validate", str(project)), "error[path-outside-project]")
    assert line.startswith(str(project / "project.yml") + ":2:") and "allowed_paths" in line
    refused(run_cli("run", "-m", "n", "--by", "content", "--project", str(project)),
            "path-outside-project")


def test_local_data_is_checked_without_a_flag(project):
    write(project, """
        sources:
          - name: deals
            table: deals
            time: created_at
          - name: other
            table: deal
            time: created_at
          - name: gone
            path: data/deal.csv
            time: created_at
        metrics:
          - name: pipeline
            source: deals
            numerator: sum(amout)
    """)
    result = run_cli("validate", str(project))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    found = {ln.split(" ", 2)[1]: ln.split(":", 3)[1:3] for ln in result.stderr.splitlines()
             if "error[" in ln}
    assert found == {"error[missing-table]": ["7", "12"], "error[missing-file]": ["10", "11"],
                     "error[unknown-column]": ["15", "16"]}
    assert "did you mean 'deals'" in result.stderr and "did you mean 'amount'" in result.stderr
    assert "did you mean 'deals.csv'" in result.stderr


def test_a_missing_data_folder_is_one_diagnostic(project):
    write(project, source("table: deals"))
    (project / "project.yml").write_text("name: p\nconnection: {type: duckdb, data: nowhere}\n"
                                        + LINT)
    line = refused(run_cli("validate", str(project)), "error[missing-data]")
    assert len(run_cli("validate", str(project)).stderr.strip().splitlines()) == 2  # + summary
    assert "nowhere" in line


def test_the_bundled_catalog_still_validates_runs_and_passes(tmp_path):
    assert run_cli("validate", cwd=PROJECT_DIR).returncode == 0
    ran = run_cli("run", "--grain=month", "--format", "csv", cwd=PROJECT_DIR)
    assert ran.returncode == 0 and ran.stdout.count("\n") > 12, ran.stderr
    tested = run_cli("test", cwd=PROJECT_DIR)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert run_cli("init", str(tmp_path / "new")).returncode == 0
    assert run_cli("validate", str(tmp_path / "new" / "metrics")).returncode == 0
