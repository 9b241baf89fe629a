"""`metrics test`: KPI tests written in YAML beside the definitions, run on DuckDB in memory.

The catalog's own tests (metrics/*.test.yml) must pass; a wrong expectation, or a broken
definition, must fail with expected against actual; a mistake in a test must be reported at
its file:line:col. Always as a user runs it: a separate process, and never a traceback.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from support import PROJECT_DIR, ROOT

# Every test of the catalog's <topic>.test.yml files (read from the YAML, so a new test file
# counts without an edit here).
CATALOG_TESTS = {case["name"] for path in sorted(PROJECT_DIR.glob("*.test.yml"))
                 for case in yaml.safe_load(path.read_text()).get("tests", [])}
SUMMARY = re.compile(r"^(\d+) passed(, (\d+) failed)?(, (\d+) invalid)? \((\d+) expected values, "
                     r"[\d.]+s\)$", re.M)


def copy_metrics(tmp_path: Path) -> Path:
    dest = tmp_path / "metrics"
    shutil.copytree(PROJECT_DIR, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not unique in {path}"
    path.write_text(text.replace(old, new))


def at(path: Path, needle: str, offset: int = 0) -> str:
    """file:line:col of `needle` (plus `offset` characters) in a file, as diagnostics say it."""
    text = path.read_text()
    assert text.count(needle) == 1, needle
    before = text[: text.index(needle) + offset]
    return f"{path}:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


def no_traceback(result) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def passed(result) -> tuple[int, int, int]:
    found = SUMMARY.search(result.stdout)
    assert found, result.stdout
    return int(found[1]), int(found[3] or 0), int(found[5] or 0)


# ----------------------------------------------------------------------------- the catalog


def test_the_catalog_tests_pass(cli):
    result = cli("test")
    no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    ran = set(re.findall(r"^PASS (\w+)  metrics/\w+\.test\.yml:\d+$", result.stdout, re.M))
    assert ran == CATALOG_TESTS
    assert passed(result) == (len(CATALOG_TESTS), 0, 0)
    assert "FAIL" not in result.stdout and result.stderr == ""


def test_a_wrong_expectation_fails_with_expected_and_actual(cli, tmp_path):
    project = copy_metrics(tmp_path)
    test_file = project / "conversion.test.yml"
    edit(test_file, "win_rate: 2/6, deals_won: 2}", "win_rate: 0.3, deals_won: 2}")
    where = at(test_file, "win_rate: 0.3", len("win_rate: "))
    result = cli("test", str(project))
    no_traceback(result)
    assert result.returncode == 1
    out = result.stdout
    assert re.search(rf"^FAIL win_rate_ignores_open_deals  {re.escape(str(test_file))}:5$",
                     out, re.M), out
    assert "     Open deals are neither won nor lost: they count on neither side" in out
    assert "     1 of 4 expected values differ:" in out
    header = next(line for line in out.splitlines() if "Expected" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")] == \
        ["Line", "Period", "Metric", "Expected", "Actual"]
    row = next(line for line in out.splitlines() if "│ win_rate" in line)
    assert [c.strip() for c in row.strip("│ ").split("│")] == \
        [where.split(":")[1], "2025-01", "win_rate", "0.3 (30.0%)", "0.3333333333 (33.3%)"]
    assert passed(result) == (len(CATALOG_TESTS) - 1, 1, 0)


def test_a_broken_definition_fails_its_test(cli, tmp_path):
    """The point of the tests: count open deals in the win rate, and the test says so."""
    project = copy_metrics(tmp_path)
    edit(project / "conversion.yml", '    filters: ["{{ is_closed() }}"]\n', "")
    result = cli("test", str(project), "--select", "win_rate_ignores_open_deals")
    no_traceback(result)
    assert result.returncode == 1
    rows = {tuple(c.strip() for c in line.strip("│ ").split("│"))[1:]
            for line in result.stdout.splitlines() if line.startswith("│")}
    # the open deal expected to close in January joins the denominator: 2/7, not 2/6;
    # in February it lifts the closed deals to 5, past min_denominator: 3/5, not empty
    assert rows == {("2025-01", "win_rate", "0.3333333333 (33.3%)", "0.2857142857 (28.6%)"),
                    ("2025-02", "win_rate", "empty", "0.6 (60.0%)")}


def test_github_annotations_point_at_the_expected_value(cli, tmp_path):
    project = copy_metrics(tmp_path)
    test_file = project / "revenue.test.yml"
    edit(test_file, "sales_cycle_length: 21,", "sales_cycle_length: 20,")
    where = at(test_file, "sales_cycle_length: 20", len("sales_cycle_length: "))
    result = cli("test", str(project), "--format", "github")
    no_traceback(result)
    assert result.returncode == 1
    _, line, col = where.rsplit(":", 2)
    assert (f"::error file={test_file},line={line},col={col},title=test-failed::test "
            "'sales_cycle_across_a_month_boundary': sales_cycle_length in 2025-01: expected "
            "20 (20.0 d), got 21 (21.0 d)") in result.stdout.splitlines()


def test_select_and_path_choose_the_tests(cli):
    by_name = cli("test", "--select", "quota_attainment_*")
    assert by_name.returncode == 0 and passed(by_name)[0] == 2
    by_metric = cli("test", "--select", "mrr_reported")
    assert by_metric.returncode == 0 and passed(by_metric)[0] == 2
    by_file = cli("test", "metrics/revenue.test.yml")
    assert by_file.returncode == 0 and passed(by_file)[0] == 2
    none = cli("test", "--select", "quota_atainment")
    no_traceback(none)
    assert none.returncode == 2 and none.stdout == ""
    assert none.stderr == ("error: no test matches quota_atainment; did you mean "
                           "'quota_attainment_by_rep'?\n")


def test_a_project_without_tests(cli):
    result = cli("test", "tests/oracles/forms")
    assert result.returncode == 0 and "no tests in tests/oracles/forms" in result.stderr


# ----------------------------------------------------------------------------- bad tests

BAD = """\
tests:
  - name: typo_in_a_metric
    given:
      opportunities:
        - {stage: won, closed_at: 2025-01-01}
    expect:
      - {period: 2025-01, win_rat: 1}
  - name: typo_in_a_source
    given:
      oportunities:
        - {stage: won, closed_at: 2025-01-01}
    expect:
      - {period: 2025-01, deals_won: 1}
  - name: typo_in_a_column
    given:
      opportunities:
        - {stge: won, closed_at: 2025-01-01}
    expect:
      - {period: 2025-01, deals_won: 1}
  - name: typo_in_a_key
    given:
      opportunities:
        - {stage: won, closed_at: 2025-01-01}
    expct:
      - {period: 2025-01, deals_won: 1}
  - name: a_value_of_the_wrong_type
    given:
      opportunities:
        - {stage: won, closed_at: soon}
    expect:
      - {period: 2025-01, deals_won: many}
  - name: a_source_left_out
    by: [region]
    given:
      opportunities:
        - {stage: won, closed_at: 2025-01-01, owner_rep_id: 1}
    expect:
      - {period: 2025-01, region: EMEA, deals_won: 1}
  - name: a_column_left_out
    given:
      opportunities:
        - {stage: won}
    expect:
      - {period: 2025-01, deals_won: 1}
"""


def test_mistakes_in_tests_are_reported_at_file_line_col(cli, tmp_path):
    project = copy_metrics(tmp_path)
    bad = project / "bad.test.yml"
    bad.write_text(BAD)
    result = cli("test", str(project))
    no_traceback(result)
    assert result.returncode == 1
    expected = [
        f"{at(bad, 'win_rat: 1')}: error[unknown-metric] 'win_rat' is not a metric; "
        "did you mean 'win_rate'?",
        f"{at(bad, 'oportunities')}: error[unknown-source] 'oportunities' is neither a source "
        "nor a table a source reads; did you mean 'opportunities'?",
        f"{at(bad, 'stge')}: error[unknown-column] no definition reads column 'stge' of "
        "'opportunities'; did you mean 'stage'?",
        # a typo in a key leaves the test without the key meant
        f"{at(bad, 'name: typo_in_a_key')}: error[missing-key] this test has no 'expect'; "
        "add 'expect:'",
        f"{at(bad, 'expct')}: error[unknown-key] 'expct' is not a test field; "
        "did you mean 'expect'?",
        f"{at(bad, 'soon')}: error[wrong-type] 'soon' is not a timestamp (column 'closed_at' of "
        "'opportunities'); write it as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS",
        f"{at(bad, 'many')}: error[wrong-type] expected value 'many' of 'deals_won' is not a "
        "number; write a number, null (an empty value), or arithmetic such as 2/3",
        f"{_nth(bad, 'given:', 5)}: error[missing-rows] no "
        "rows for source 'reps', which deals_won reads; add rows for 'reps' under 'given:'",
        f"{_nth(bad, 'opportunities:', 5)}: error[missing-column] the rows of 'opportunities' "
        "have no column 'closed_at', which deals_won reads; add it to a row (the other rows "
        "get null), or declare it under 'types:'",
    ]
    lines = result.stderr.splitlines()
    assert lines == expected + ["9 errors in 1 file"], result.stderr
    # the valid tests still ran, and passed
    assert passed(result) == (len(CATALOG_TESTS), 0, 7)


def _nth(path: Path, needle: str, n: int) -> str:
    """file:line:col of the n-th (0-based) occurrence of `needle`."""
    text = path.read_text()
    index = -1
    for _ in range(n + 1):
        index = text.index(needle, index + 1)
    before = text[:index]
    return f"{path}:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


def test_mistakes_in_a_test_do_not_stop_metrics_run(cli, tmp_path):
    project = copy_metrics(tmp_path)
    (tmp_path / "examples").mkdir()  # validate checks the local data too: give it the sample
    (tmp_path / "examples" / "data").symlink_to(ROOT / "examples" / "data")
    (project / "bad.test.yml").write_text(BAD)
    result = cli("validate", str(project))
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------- sources


SOURCES = """\
sources:
  - {name: deals, path: deals.csv, time: closed_at, key: id, dimensions: {stage: stage}}
  - name: won
    sql: "select id, closed_at, amount from crm.raw_deals where stage = 'won'"
    time: closed_at
    key: id
metrics:
  - {name: deal_amount, source: deals, numerator: sum(amount), format: currency}
  - {name: won_amount, source: won, numerator: sum(amount), format: currency}
tests:
  - name: a_file_source_reads_the_rows_given_for_it
    by: [stage]
    given:
      deals:
        - {stage: won, closed_at: 2025-01-10, amount: 100}
        - {stage: won, closed_at: 2025-01-11 09:00:00, amount: 1.5}
        - {stage: lost, closed_at: 2025-02-11, amount: 7}
    expect:
      - {period: 2025-01, stage: won, deal_amount: 101.5}
      - {period: 2025-01-01, stage: lost, deal_amount: 0}
      - {period: 2025-02, stage: lost, deal_amount: 7}
  - name: a_sql_source_runs_its_query_on_the_tables_given
    given:
      crm.raw_deals:
        - {id: 1, stage: won, closed_at: 2025-01-10, amount: 100}
        - {id: 2, stage: lost, closed_at: 2025-01-11, amount: 50}
    expect:
      - {period: 2025-01, won_amount: 100}
  - name: a_sql_source_given_by_its_name_with_declared_types
    given:
      won:
        rows:
          - {closed_at: "2025-01-10", amount: 7}
          - {closed_at: "2025-03-01 10:00:00", amount: null}
        types: {closed_at: timestamp, amount: double, id: integer}
    expect:
      - {period: 2025-01, won_amount: 7}
      - {period: 2025-02, won_amount: 0}
      - {period: 2025-03, won_amount: 0}
"""


def test_file_and_sql_sources(cli, tmp_path):
    (tmp_path / "project.yml").write_text("name: q\nconnection: {type: duckdb, data: .}\n")
    (tmp_path / "defs.yml").write_text(SOURCES)
    result = cli("test", str(tmp_path))
    no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert passed(result) == (3, 0, 0)
