"""DuckDB's `data:` as a list of folders, and `sql:` sources that read `path:` sources by name.

Each project is written to a temporary folder laid out as a user would: definitions in
proj/metrics/ (project.yml's folder, which every relative path is relative to), data in
proj/data/ and proj/extra/. Expected values come from pandas on the same files.
"""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from sales_metrics import adapters, engine
from sales_metrics.adapters.duckdb import DuckDBAdapter

from support import run_cli

LINT = ("lint: {missing-label: off, missing-description: off, missing-owner: off, "
        "missing-format: off, unused-source: off, unused-dimension: off}\n")


def layout(tmp_path: Path, frames, data: str = "[../data, ../extra]",
           allowed: str = "[../data, ../extra]") -> Path:
    """proj/data/opportunities.parquet, proj/extra/reps.csv and proj/metrics/project.yml."""
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    (root / "extra").mkdir()
    (root / "metrics").mkdir()
    frames["opportunities"].to_parquet(root / "data" / "opportunities.parquet")
    frames["reps"].to_csv(root / "extra" / "reps.csv", index=False)
    (root / "metrics" / "project.yml").write_text(
        f"name: p\nconnection:\n  type: duckdb\n  data: {data}\nallowed_paths: {allowed}\n"
        + LINT)
    return root


def write(root: Path, text: str) -> None:
    (root / "metrics" / "defs.yml").write_text(textwrap.dedent(text))


def one_error(result) -> str:
    """The single located error line of a refused command (exit 1, no traceback)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error[" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


def column_of(line: str, text: str) -> int:
    return line.index(text) + 1


BY_REGION = """
    sources:
      - name: opportunities
        table: opportunities
        time: closed_at
        joins: [{to: reps, on: owner_rep_id = reps.rep_id}]
      - name: reps
        table: reps
        key: rep_id
        dimensions: {region: region}
    metrics:
      - name: won_revenue
        source: opportunities
        numerator: sum(amount)
        filters: ["stage = 'won'"]
"""


def won_by_year_and_region(frames) -> dict:
    o, r = frames["opportunities"], frames["reps"]
    won = o[o.stage == "won"].merge(r[["rep_id", "region"]], left_on="owner_rep_id",
                                    right_on="rep_id")
    sums = won.groupby([won.closed_at.dt.year, "region"]).amount.sum()
    return {(int(y), region): float(v) for (y, region), v in sums.items()}


def test_every_folder_of_a_data_list_is_tables(tmp_path, frames):
    root = layout(tmp_path, frames)
    write(root, BY_REGION)
    assert run_cli("validate", str(root / "metrics")).returncode == 0
    project = engine.load_project(root / "metrics")
    with adapters.connect(project) as conn:
        got = project.query(["won_revenue"], connection=conn, grain="year",
                            by=["region"]).to_pandas()
    want = won_by_year_and_region(frames)
    got_map = {(p.year, region): v for p, region, v in got.itertuples(index=False)
               if v not in (0, None)}
    assert got_map.keys() == want.keys() and len(want) >= 8
    assert all(math.isclose(got_map[k], want[k], rel_tol=1e-9) for k in want)


def test_a_single_folder_is_still_a_string(tmp_path, frames):
    root = layout(tmp_path, frames, data="../data")
    (root / "data" / "reps.csv").write_bytes((root / "extra" / "reps.csv").read_bytes())
    write(root, BY_REGION)
    assert run_cli("validate", str(root / "metrics")).returncode == 0
    result = run_cli("run", "-m", "won_revenue", "--grain", "year", "--by", "region",
                     "--format", "csv", "--project", str(root / "metrics"))
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(pd.io.common.StringIO(result.stdout))
    got = {(int(p[:4]), r): v for p, r, v in rows.itertuples(index=False) if v}
    want = won_by_year_and_region(frames)
    assert got.keys() == want.keys()
    assert all(math.isclose(got[k], want[k], rel_tol=1e-9) for k in want)


@pytest.mark.parametrize("cwd", ["root", "elsewhere"])
def test_relative_folders_are_relative_to_project_yml_wherever_the_cli_runs(tmp_path, frames,
                                                                           cwd):
    root = layout(tmp_path, frames)
    write(root, BY_REGION)
    where = Path("/") if cwd == "root" else tmp_path / "elsewhere" / "deeper"
    where.mkdir(parents=True, exist_ok=True)
    project = os.path.relpath(root / "metrics", where)  # a relative --project
    checked = run_cli("validate", project, cwd=where)
    assert checked.returncode == 0, checked.stderr
    result = run_cli("run", "-m", "won_revenue", "--grain", "year", "--by", "region",
                     "--format", "csv", "--project", project, cwd=where)
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(pd.io.common.StringIO(result.stdout))
    got = {(int(p[:4]), r): v for p, r, v in rows.itertuples(index=False) if v}
    assert got == pytest.approx(won_by_year_and_region(frames), rel=1e-9)


def test_the_same_table_in_two_folders_is_one_located_error_naming_both(tmp_path, frames):
    root = layout(tmp_path, frames)
    frames["reps"].to_parquet(root / "data" / "reps.parquet")  # and extra/reps.csv
    write(root, BY_REGION)
    project_yml = root / "metrics" / "project.yml"
    item = project_yml.read_text().splitlines()[3]  # "  data: [../data, ../extra]"
    where = f"{project_yml}:4:{column_of(item, '../extra')}: error[duplicate-table] "
    for command in (["validate", str(root / "metrics")],
                    ["run", "-m", "won_revenue", "--project", str(root / "metrics")]):
        line = one_error(run_cli(*command))
        assert line.startswith(where), line
        assert str(root / "data" / "reps.parquet") in line
        assert str(root / "extra" / "reps.csv") in line


def test_the_same_table_twice_in_one_folder_is_refused_too(tmp_path, frames):
    root = layout(tmp_path, frames, data="../data")
    frames["reps"].to_csv(root / "data" / "reps.csv", index=False)
    frames["reps"].to_parquet(root / "data" / "reps.parquet")
    write(root, BY_REGION)
    line = one_error(run_cli("validate", str(root / "metrics")))
    assert "error[duplicate-table]" in line and "reps.csv" in line and "reps.parquet" in line


def test_the_adapter_refuses_the_same_table_twice_without_a_project(tmp_path, frames):
    """A profile can hand DuckDB a data list too: the engine refuses, naming both files."""
    root = layout(tmp_path, frames)
    frames["reps"].to_parquet(root / "data" / "reps.parquet")
    with pytest.raises(engine.UsageError) as raised:
        DuckDBAdapter(root=root / "metrics", data=["../data", "../extra"])
    message = str(raised.value)
    assert str(root / "data" / "reps.parquet") in message
    assert str(root / "extra" / "reps.csv") in message and "\n" not in message


def test_validate_checks_every_folder_of_the_list(tmp_path, frames):
    root = layout(tmp_path, frames, data="[../data, ../extra, ../gone]",
                  allowed="[../data, ../extra, ../gone]")
    write(root, BY_REGION)
    project_yml = root / "metrics" / "project.yml"
    item = project_yml.read_text().splitlines()[3]
    line = one_error(run_cli("validate", str(root / "metrics")))
    assert line.startswith(f"{project_yml}:4:{column_of(item, '../gone')}: error[missing-data]")
    assert str(root / "gone") in line


def test_a_folder_of_the_list_outside_the_project_is_refused(tmp_path, frames):
    root = layout(tmp_path, frames, allowed="[../data]")  # ../extra is not allowed
    write(root, BY_REGION)
    project_yml = root / "metrics" / "project.yml"
    item = project_yml.read_text().splitlines()[3]
    where = f"{project_yml}:4:{column_of(item, '../extra')}: error[path-outside-project]"
    for command in (["validate", str(root / "metrics")],
                    ["run", "-m", "won_revenue", "--project", str(root / "metrics")]):
        line = one_error(run_cli(*command))
        assert line.startswith(where) and "allowed_paths" in line, line


@pytest.mark.parametrize("data, at", [("[../data, 3]", "3"), ("{a: 1}", "{a: 1}"),
                                      ("[]", "[]")])
def test_a_data_setting_that_is_not_folders_is_one_located_error(tmp_path, frames, data, at):
    root = layout(tmp_path, frames, data=data)
    write(root, BY_REGION)
    project_yml = root / "metrics" / "project.yml"
    item = project_yml.read_text().splitlines()[3]
    line = one_error(run_cli("validate", str(root / "metrics")))
    assert line.startswith(f"{project_yml}:4:{column_of(item, at)}: error[wrong-type]"), line


def test_the_sandbox_reads_the_listed_folders_and_nothing_else(tmp_path, frames):
    root = layout(tmp_path, frames)
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.csv").write_text("word\nSECRET\n")
    write(root, BY_REGION)
    project = engine.load_project(root / "metrics")
    with adapters.connect(project) as conn:
        assert conn.execute("SELECT count(*) AS n FROM reps").column("n")[0].as_py() == \
            len(frames["reps"])
        assert conn.execute("SELECT count(*) AS n FROM opportunities").column("n")[0] \
            .as_py() == len(frames["opportunities"])
        for hostile in (f"SELECT * FROM read_csv('{secret}/secret.csv')",
                        f"SELECT * FROM '{root}/metrics/project.yml'"):
            with pytest.raises(engine.AdapterError) as raised:
                conn.execute(hostile)
            assert "SECRET" not in str(raised.value)


DERIVED = """
    sources:
      - name: deals_file
        path: ../data/opportunities.parquet
        time: created_at
      - name: net_deals
        sql: "select *, amount * 0.9 as net from deals_file where stage <> 'lost'"
        time: created_at
        joins: [{to: reps, on: owner_rep_id = reps.rep_id}]
      - name: big_net_deals
        sql: |
          select d.*
          from net_deals as d
          where d.net > 50000
        time: created_at
      - name: reps
        table: reps
        key: rep_id
        dimensions: {region: region}
    metrics:
      - name: net_amount
        source: net_deals
        numerator: sum(net)
      - name: big_net_count
        source: big_net_deals
        numerator: count(*)
"""


def test_a_sql_source_reads_a_path_source_and_another_sql_source_by_name(tmp_path, frames):
    root = layout(tmp_path, frames)
    write(root, DERIVED)
    checked = run_cli("validate", str(root / "metrics"))
    assert checked.returncode == 0, checked.stderr
    project = engine.load_project(root / "metrics")
    with adapters.connect(project) as conn:
        got = project.query(["net_amount", "big_net_count"], connection=conn,
                            grain="year").to_pandas()
        by_region = project.query(["net_amount"], connection=conn, grain="year",
                                  by=["region"]).to_pandas()
    o, r = frames["opportunities"], frames["reps"]
    kept = o[o.stage != "lost"].assign(net=lambda d: d.amount * 0.9)
    net = kept.groupby(kept.created_at.dt.year).net.sum()
    big = kept[kept.net > 50000].groupby(kept.created_at.dt.year).size()
    assert [p.year for p in got.period] == sorted(net.index)
    for period, value, count in got.itertuples(index=False):
        assert math.isclose(value, net[period.year], rel_tol=1e-9)
        assert count == big.get(period.year, 0)
    joined = kept.merge(r[["rep_id", "region"]], left_on="owner_rep_id", right_on="rep_id")
    want = joined.groupby([joined.created_at.dt.year, "region"]).net.sum()
    got_map = {(p.year, region): v for p, region, v in by_region.itertuples(index=False)}
    assert got_map == pytest.approx({(int(y), g): v for (y, g), v in want.items()}, rel=1e-9)


def test_a_path_source_read_by_name_outside_the_allowed_folders_is_still_refused(tmp_path,
                                                                                 frames):
    root = layout(tmp_path, frames)
    secret = tmp_path / "outside"
    secret.mkdir()
    frames["opportunities"].head(3).to_parquet(secret / "leak.parquet")
    write(root, DERIVED.replace("../data/opportunities.parquet", "../../outside/leak.parquet"))
    defs = (root / "metrics" / "defs.yml").read_text().splitlines()
    line_no = next(i for i, text in enumerate(defs, 1) if "leak.parquet" in text)
    for command in (["validate", str(root / "metrics")],
                    ["run", "-m", "net_amount", "--project", str(root / "metrics")]):
        line = one_error(run_cli(*command))
        assert line.startswith(f"{root / 'metrics' / 'defs.yml'}:{line_no}:"), line
        assert "error[path-outside-project]" in line


def test_a_folder_of_the_list_may_be_a_template(tmp_path, frames):
    root = layout(tmp_path, frames, data="[../data, \"{{ var('more') }}\"]")
    with (root / "metrics" / "project.yml").open("a") as f:
        f.write("vars: {more: ../extra}\n")
    write(root, BY_REGION)
    checked = run_cli("validate", str(root / "metrics"))
    assert checked.returncode == 0, checked.stderr
    result = run_cli("run", "-m", "won_revenue", "--grain", "year", "--by", "region",
                     "--format", "csv", "--project", str(root / "metrics"))
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(pd.io.common.StringIO(result.stdout))
    got = {(int(p[:4]), r): v for p, r, v in rows.itertuples(index=False) if v}
    assert got == pytest.approx(won_by_year_and_region(frames), rel=1e-9)
