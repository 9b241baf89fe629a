"""The `metrics` command as a user runs it: a subprocess, its stdout, stderr and exit code.

Expected numbers are computed here with pandas from the Parquet files (the `frames` fixture),
never copied from the tool's own output.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlglot
import yaml

from support import DATA_DIR, PROJECT_DIR

# One stderr line of a diagnostic: file:line:col: error[code] message; hint
DIAG = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): error\[(?P<code>[a-z-]+)\] (?P<msg>.+)$")
# What a clean stderr line may look like: a diagnostic, a one-line error, or the summary.
CLEAN = re.compile(r"^(error: \S.*|[^:]+:\d+:\d+: (error|warning)\[[a-z-]+\] .+"
                   r"|\d+ errors?( and \d+ warnings?)? in \d+ files?)$")


# ----------------------------------------------------------------------------- helpers


def copy_project(tmp_path: Path) -> Path:
    """A copy of metrics/ whose `data:` points at the sample data by absolute path."""
    dest = tmp_path / "proj"
    shutil.copytree(PROJECT_DIR, dest)
    edit(dest / "project.yml", "data: ../examples/data", f"data: {DATA_DIR}")
    edit(dest / "project.yml", "allowed_paths: [../examples/data]", f"allowed_paths: [{DATA_DIR}]")
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not unique in {path}"
    path.write_text(text.replace(old, new))


def append(path: Path, block: str) -> None:
    path.write_text(path.read_text().rstrip("\n") + "\n\n" + block)


def locate(path: Path, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based line and column of `needle` (plus `offset` characters) in a file's text."""
    text = path.read_text()
    assert text.count(needle) == 1, needle
    before = text[: text.index(needle) + offset]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def assert_clean(result, code: int, one_line: bool = False) -> list[str]:
    """Exit code as expected, no traceback, stderr made only of clean one-line messages."""
    both = result.stdout + result.stderr
    assert "Traceback" not in both, both
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines, "stderr is empty"
    bad = [line for line in lines if not CLEAN.match(line)]
    assert not bad, bad
    if one_line:
        assert len(lines) == 1, lines
    return lines


def month(series: pd.Series) -> pd.Series:
    return series.dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")


def expected(frames, by: list[str] = ()) -> pd.DataFrame:
    """win_rate and calls_made per month (and dimension), straight from the Parquet files."""
    opps, acts, reps = frames["opportunities"], frames["activities"], frames["reps"]
    closed = opps[opps.stage.isin(["won", "lost"])].merge(reps, left_on="owner_rep_id", right_on="rep_id")
    calls = acts[acts.activity_type == "call"].merge(reps, on="rep_id")
    groups = (closed.stage == "won").groupby([month(closed.closed_at), *[closed[b] for b in by]])
    # win_rate needs at least 5 closed deals (min_denominator in conversion.yml)
    win = groups.mean().where(groups.size() >= 5)
    cnt = calls.groupby([month(calls.occurred_at), *[calls[b] for b in by]]).size()
    out = pd.concat([win.rename("win_rate"), cnt.rename("calls_made")], axis=1)
    out.index.names = ["period", *by]
    return out.sort_index()


def assert_matches(got: pd.DataFrame, frames, by: list[str] = ()) -> None:
    got = got.astype({"period": str}).set_index(["period", *by]).sort_index()
    want = expected(frames, by)
    assert list(got.index) == list(want.index)
    assert (got.calls_made.astype(int) == want.calls_made).all()
    assert got.win_rate.isna().tolist() == want.win_rate.isna().tolist()
    assert got.win_rate.dropna().tolist() == pytest.approx(want.win_rate.dropna().tolist(),
                                                           rel=1e-12)


RUN = ["run", "--grain=month", "-m", "win_rate", "-m", "calls_made"]


# ----------------------------------------------------------------------------- validate


def test_validate_bundled_project_is_ok(cli):
    result = cli("validate")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "error" not in result.stderr


@pytest.fixture
def broken(tmp_path):
    """A project copy with three problems in three files; returns (folder, expected rows)."""
    proj = copy_project(tmp_path)
    append(proj / "conversion.yml", "  - name: loss_rate\n    source: opportunities\n"
           "    time: closed_at\n    numerator: count(*)\n    denominater: count(*)\n")
    append(proj / "activity.yml", "  - name: texts_sent\n    source: activitys\n    numerator: count(*)\n")
    append(proj / "revenue.yml", "  - name: biggest_deal\n    label: Biggest deal\n    description: x\n"
           "    owner: sales-ops\n    format: currency\n    source: opportunities\n    numerator: amount\n")
    want = [
        ("activity.yml", *locate(proj / "activity.yml", "activitys"), "unknown-source", "did you mean 'activities'?"),
        ("conversion.yml", *locate(proj / "conversion.yml", "denominater"), "unknown-key",
         "did you mean 'denominator'?"),
        ("revenue.yml", *locate(proj / "revenue.yml", "numerator: amount", len("numerator: ")),
         "not-aggregate", "sum(amount)"),
    ]
    return proj, want


def test_validate_broken_project_one_line_per_problem(cli, broken):
    proj, want = broken
    result = cli("validate", cwd=proj)
    lines = assert_clean(result, 1)
    assert lines[-1] == "3 errors in 3 files"
    found = [DIAG.match(line) for line in lines[:-1]]
    assert all(found) and len(found) == 3, lines
    for m, (path, line, col, code, hint) in zip(found, want):
        assert (m["path"], int(m["line"]), int(m["col"]), m["code"]) == (path, line, col, code)
        assert hint in m["msg"].split("; ", 1)[1]


def test_validate_json_and_github_formats(cli, broken):
    proj, want = broken
    result = cli("validate", "--format", "json", cwd=proj)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    rows = json.loads(result.stdout)
    assert [(r["path"], r["line"], r["column"], r["code"]) for r in rows] == [w[:4] for w in want]
    assert all(w[4] in r["hint"] for r, w in zip(rows, want))

    result = cli("validate", "--format", "github", cwd=proj)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    for line, (path, ln, col, code, hint) in zip(lines, want):
        assert line.startswith(f"::error file={path},line={ln},col={col},title={code}::"), line
        assert hint in line


# ----------------------------------------------------------------------------- run: values


def test_run_csv_matches_pandas(cli, frames):
    result = cli(*RUN, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert_matches(pd.read_csv(io.StringIO(result.stdout)), frames)


def test_run_json_matches_pandas(cli, frames):
    result = cli(*RUN, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert_matches(pd.DataFrame(json.loads(result.stdout)), frames)


def test_run_parquet_to_file_matches_pandas(cli, frames, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "kpis.parquet"
    result = cli(*RUN, "--format", "parquet", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert_matches(pq.read_table(out).to_pandas(), frames)


def test_run_by_region_matches_pandas(cli, frames):
    result = cli(*RUN, "--by", "region", "--format", "csv")
    assert result.returncode == 0, result.stderr
    got = pd.read_csv(io.StringIO(result.stdout))
    assert sorted(got.region.unique()) == sorted(frames["reps"].region.unique())
    assert_matches(got, frames, ["region"])


def test_run_from_inside_the_metrics_folder(cli, frames):
    assert cli("validate", cwd=PROJECT_DIR).returncode == 0
    result = cli(*RUN, "--format", "csv", cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr
    assert_matches(pd.read_csv(io.StringIO(result.stdout)), frames)


# ----------------------------------------------------------------------------- run: table view


def test_table_formats_values_targets_and_marks(cli, frames):
    target = next(m["target"] for m in yaml.safe_load((PROJECT_DIR / "conversion.yml").read_text())["metrics"]
                  if m["name"] == "win_rate")
    assert target["direction"] == "higher"
    result = cli("run", "-g", "month", "-m", "win_rate", "-m", "won_revenue")  # table is the default
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"target ≥ {target['value'] * 100:.1f}%" in out

    opps = frames["opportunities"]
    won = opps[opps.stage == "won"]
    revenue = won.groupby(won.closed_at.dt.strftime("%Y-%m")).amount.sum()
    rates = expected(frames).win_rate
    rows: dict[str, list[str]] = {}  # period -> cells, gathered over every table printed
    for line in out.splitlines():
        cells = [" ".join(c.split()) for c in line.strip("│").split("│")]  # cells align inside
        if re.match(r"\d{4}-\d\d$", cells[0]):
            rows.setdefault(cells[0], []).extend(cells[1:])
    assert len(rows) == len(rates)
    for period, rate in rates.items():
        mark = "✓" if rate >= target["value"] else "✗"
        gap = (rate - target["value"]) * 100  # the gap to target, in points
        sign = "+" if gap > 0 else "-" if gap < 0 else ""
        assert rows[period[:7]] == [f"{rate * 100:.1f}% {mark} {sign}{abs(gap):.1f} pts",
                                    f"${revenue[period[:7]]:,.0f}"]
    assert {"✓", "✗"} <= set(out)  # both marks occur in the sample data


# ----------------------------------------------------------------------------- --output


def test_output_written_whole_without_temp_files(cli, frames, tmp_path):
    out = tmp_path / "kpis.csv"
    result = cli(*RUN, "--format", "csv", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "wrote" in result.stderr
    assert_matches(pd.read_csv(out), frames)
    assert os.listdir(tmp_path) == ["kpis.csv"]


def test_output_untouched_when_the_command_fails(cli, tmp_path):
    out = tmp_path / "kpis.csv"
    out.write_text("previous content\n")
    assert_clean(cli("run", "-m", "no_such_metric", "-f", "csv", "-o", str(out)), 2, one_line=True)
    assert out.read_text() == "previous content\n"

    proj = copy_project(tmp_path / "p")
    edit(proj / "sources.yml", "    table: activities\n", "    table: activities_gone\n")
    assert_clean(cli("run", "-p", str(proj), "-m", "calls_made", "-f", "csv", "-o", str(out)), 2,
                 one_line=True)
    assert out.read_text() == "previous content\n"

    missing = tmp_path / "no_such_folder" / "kpis.csv"
    lines = assert_clean(cli(*RUN, "-f", "csv", "-o", str(missing)), 2, one_line=True)
    assert "does not exist" in lines[0]
    assert not missing.parent.exists()
    assert sorted(os.listdir(tmp_path)) == ["kpis.csv", "p"]


def test_output_to_an_existing_folder_is_a_clean_error(cli, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    assert_clean(cli(*RUN, "-f", "csv", "-o", str(folder)), 2, one_line=True)
    assert os.listdir(folder) == [] and os.listdir(tmp_path) == ["reports"]


def test_output_file_has_ordinary_permissions(cli, tmp_path):
    """A report is created like any other file (umask), and replacing one keeps its mode."""
    umask = os.umask(0)
    os.umask(umask)
    fresh = tmp_path / "fresh.csv"
    assert cli(*RUN, "-f", "csv", "-o", str(fresh)).returncode == 0
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    shared = tmp_path / "shared.csv"
    shared.write_text("old\n")
    shared.chmod(0o644)
    assert cli(*RUN, "-f", "csv", "-o", str(shared)).returncode == 0
    assert shared.stat().st_mode & 0o777 == 0o644


# ----------------------------------------------------------------------------- compile


def test_compile_postgres_parses_back(cli):
    result = cli("compile", "win_rate", "--dialect", "postgres")
    assert result.returncode == 0, result.stderr
    tree = sqlglot.parse_one(result.stdout, read="postgres")
    assert isinstance(tree, sqlglot.exp.Select)
    assert "opportunities" in {t.name for t in tree.find_all(sqlglot.exp.Table)}


@pytest.mark.parametrize("args, fragment", [
    (["--dialect", "nosuchdialect"], "nosuchdialect"),
    (["--by", "activity_type"], "activity_type"),
    (["--where", "sum(amount) > 0"], "aggregates"),
    (["--where", "drop table x"], "not a row filter"),
    (["--where", "1=1; drop table x"], "not a row filter"),
    (["--start", "notadate"], "YYYY-MM-DD"),
])
def test_compile_bad_requests_exit_2(cli, args, fragment):
    lines = assert_clean(cli("compile", "win_rate", *args), 2, one_line=True)
    assert fragment in lines[0]


def test_compile_unknown_metric_suggests(cli):
    lines = assert_clean(cli("compile", "win_rat"), 2, one_line=True)
    assert "did you mean 'win_rate'?" in lines[0]


def test_compile_bad_grain_is_a_usage_error(cli):
    result = cli("compile", "win_rate", "--grain", "fortnight")
    assert result.returncode == 2 and "fortnight" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# ----------------------------------------------------------------------------- list / show


def test_list_shows_every_metric(cli):
    names = [m["name"] for f in PROJECT_DIR.glob("*.yml") if f.name not in ("project.yml", "sources.yml")
             for m in yaml.safe_load(f.read_text()).get("metrics", [])]
    result = cli("list")
    assert result.returncode == 0, result.stderr
    listed = {line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")}
    assert listed == set(names) and len(names) == len(set(names)) > 18


def test_show_win_rate(cli):
    result = cli("show", "win_rate")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("win_rate: Opportunity win rate\n")
    assert "Won opportunities over all opportunities closed (won or lost) in the period." in out
    assert re.search(r"numerator: COUNT\(\*\) on opportunities by closed_at where .*stage = 'won'", out)
    assert re.search(r"denominator: COUNT\(\*\) on opportunities by closed_at where stage IN", out)
    assert "reads opportunities: closed_at, stage\n" in out
    sql = out.split("SQL (duckdb, month)\n", 1)[1]
    assert isinstance(sqlglot.parse_one(sql, read="duckdb"), sqlglot.exp.Select)


def test_show_won_revenue_is_used_by_average_deal_size(cli):
    result = cli("show", "won_revenue")
    assert result.returncode == 0, result.stderr
    assert re.search(r"used by: .*average_deal_size", result.stdout)
    assert_clean(cli("show", "won_revenu"), 2, one_line=True)


# ----------------------------------------------------------------------------- no tracebacks


def _not_yaml(proj: Path) -> None:
    (proj / "project.yml").write_text("name: [unclosed\n  dialect: duckdb: x\n")


def _no_data(proj: Path) -> None:
    edit(proj / "project.yml", f"data: {DATA_DIR}", f"data: {proj / 'no_such_data'}")


def _tab(proj: Path) -> None:
    append(proj / "activity.yml", "  - name: texts_sent\n\tsource: activities\n")


def _jinja(proj: Path) -> None:
    edit(proj / "activity.yml", "filters: [\"activity_type = 'call'\"]",
         "filters: [\"activity_type = '{{ var('nope') }}'\"]")


def _no_table(proj: Path) -> None:
    edit(proj / "sources.yml", "    table: activities\n", "    table: activities_gone\n")


@pytest.mark.parametrize("breaks, args, code, where", [
    (None, ["list", "-p", "missing_dir"], 2, None),
    (_not_yaml, ["validate"], 1, ("project.yml", "dialect")),
    (_not_yaml, ["run", "-m", "calls_made"], 1, ("project.yml", "dialect")),
    (_no_data, ["run", "-m", "calls_made"], 2, None),
    (_tab, ["validate"], 1, ("activity.yml", "\tsource")),
    (_tab, ["compile", "calls_made"], 1, ("activity.yml", "\tsource")),
    (_jinja, ["validate"], 1, ("activity.yml", "var('nope')")),
    (_jinja, ["run", "-m", "calls_made"], 1, ("activity.yml", "var('nope')")),
    (_jinja, ["show", "calls_made"], 1, ("activity.yml", "var('nope')")),
    (_no_table, ["run", "-m", "calls_made"], 2, None),
], ids=["missing-dir", "not-yaml", "not-yaml-run", "no-data", "tab", "tab-compile", "jinja",
        "jinja-run", "jinja-show", "no-table"])
def test_bad_invocations_never_show_a_traceback(cli, tmp_path, breaks, args, code, where):
    """Invalid definitions exit 1 with located diagnostics; anything else exits 2, one line."""
    proj = copy_project(tmp_path)
    if breaks:
        breaks(proj)
    lines = assert_clean(cli(*args, cwd=proj), code, one_line=where is None)
    if where:
        line, _ = locate(proj / where[0], where[1])
        assert any((m := DIAG.match(text)) and (m["path"], int(m["line"])) == (where[0], line)
                   for text in lines), lines


def test_unparseable_project_file_reports_only_that(cli, tmp_path):
    """project.yml that is not YAML is one problem: no spurious 'var(...) is not defined'
    errors for vars that project.yml does define."""
    proj = copy_project(tmp_path)
    _not_yaml(proj)
    lines = assert_clean(cli("validate", cwd=proj), 1)
    diags = [m for line in lines if (m := DIAG.match(line))]
    assert [(m["path"], m["line"], m["code"]) for m in diags] == [("project.yml", "2", "yaml-syntax")]
