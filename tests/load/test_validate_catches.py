"""`metrics validate` catches what `metrics run` refuses from the definitions alone.

A trailing or to-date total over an average (or any aggregate that is not a count or a sum),
or over a value that is itself a window, and a to-date total whose grain is not finer than
its window: each is one error at the field to change (file:line:col), in the words the
compiler uses when it meets the same definition (checked here by compiling a catalog that
skipped validation), and `metrics run` stops at the same line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sales_metrics import engine
from sales_metrics.engine import loader
from sales_metrics.engine.compile import Request, compile_tree
from sales_metrics.engine.model import Grain
from sales_metrics.engine.resolve import resolve
from support import run_cli

PROJECT = "name: catches\nlint: {missing-label: off, missing-description: off, " \
          "missing-owner: off, missing-format: off, unused-dimension: off}\n"
SOURCES = """\
sources:
  - name: deals
    table: deals
    time: created_at
    key: id
    dimensions: {rep: rep}
metrics:
  - {name: won, source: deals, numerator: sum(amount)}
  - {name: deals_created, source: deals, numerator: count(*)}
  - {name: avg_deal, source: deals, numerator: avg(amount)}
  - {name: median_deal, source: deals, numerator: median(amount)}
  - {name: won_per_deal, source: deals, numerator: sum(amount), denominator: count(*)}
  - {name: avg_over_count, source: deals, numerator: avg(amount), denominator: count(*)}
  - {name: won_plus_avg, formula: won + avg_deal}
  - {name: won_per_deal_f, formula: won / deals_created}
  - {name: of_a_metric, numerator: avg_deal, denominator: deals_created}
  - {name: won_growth, of: won, compare: previous_period}
  - {name: won_ytd, of: won, to_date: year}
  - {name: open_amount, source: deals, measure: sum(amount), balance: {opens: created_at, closes: closed_at}}
  - {name: best_rep, of: won, entity: rep, aggregate: max}
"""
NOT_FLAT = "which is not built from counts and sums of rows; accumulate the metrics it is made of"
NOT_ADDITIVE = ("whose aggregate is not a count or a sum; a running total of averages or "
                "medians is not meaningful")
HINT_NOT_FLAT = ("name in 'of' a metric built from counts and sums of rows; a comparison, a "
                 "balance, an entity metric or another cumulative metric cannot be accumulated "
                 "again")
HINT_NOT_ADDITIVE = ("accumulate a ratio of sums instead, e.g. numerator: sum(amount) and "
                     "denominator: count(*) for a trailing average")


def project_with(tmp_path: Path, line: str) -> Path:
    (tmp_path / "project.yml").write_text(PROJECT)
    (tmp_path / "defs.yml").write_text(SOURCES + line + "\n")
    return tmp_path


def located(tmp_path: Path, line: str, token: str) -> str:
    """file:line:col of ``token`` in the last line of defs.yml (found in the text itself)."""
    number = (tmp_path / "defs.yml").read_text().count("\n")
    return f"defs.yml:{number}:{line.index(token) + 1}"


def errors(tmp_path: Path) -> list[str]:
    _, found = engine.check_project(tmp_path)
    return [d.render() for d in found if d.severity == "error"]


def run_refusal(tmp_path: Path, name: str, grain: Grain | None = None) -> str:
    """What the compiler says about the metric when validation is skipped."""
    catalog, problems = resolve(loader.load(tmp_path))
    assert problems == []
    with pytest.raises(engine.UsageError) as refused:
        compile_tree(catalog, Request((name,), grain))
    return str(refused.value)


WINDOWS = ["trailing: 3", "to_date: year"]
# (of, the words after "'x' accumulates '<of>', ", the hint)
REFUSED = [
    ("avg_deal", NOT_ADDITIVE, HINT_NOT_ADDITIVE),
    ("median_deal", NOT_ADDITIVE, HINT_NOT_ADDITIVE),
    ("avg_over_count", NOT_ADDITIVE, HINT_NOT_ADDITIVE),  # a ratio with an average in it
    ("won_plus_avg", NOT_ADDITIVE, HINT_NOT_ADDITIVE),  # a formula over an average
    ("of_a_metric", NOT_ADDITIVE, HINT_NOT_ADDITIVE),  # a ratio naming an average metric
    ("won_growth", NOT_FLAT, HINT_NOT_FLAT),
    ("won_ytd", NOT_FLAT, HINT_NOT_FLAT),
    ("open_amount", NOT_FLAT, HINT_NOT_FLAT),
    ("best_rep", NOT_FLAT, HINT_NOT_FLAT),
]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("of, words, hint", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_window_over_what_cannot_accumulate(tmp_path, monkeypatch, window, of, words, hint):
    monkeypatch.chdir(tmp_path)
    line = f"  - {{name: x, of: {of}, {window}}}"
    project_with(tmp_path, line)
    message = f"'x' accumulates '{of}', {words}"
    assert errors(tmp_path) == [f"{located(tmp_path, line, of + ',')}: "
                                f"error[cannot-accumulate] {message}; {hint}"]
    assert run_refusal(tmp_path, "x") == message  # the compiler's own words


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("of", ["won", "deals_created", "won_per_deal", "won_per_deal_f"])
def test_a_window_over_counts_and_sums_is_valid(tmp_path, window, of):
    project_with(tmp_path, f"  - {{name: x, of: {of}, {window}}}")
    assert errors(tmp_path) == []
    assert engine.load_project(tmp_path).compile(["x"])  # and run compiles it


def test_validate_and_run_print_the_same_line(tmp_path):
    line = "  - {name: avg_deal_t3, of: avg_deal, trailing: 3}"
    project_with(tmp_path, line)
    want = (f"{located(tmp_path, line, 'avg_deal,')}: error[cannot-accumulate] 'avg_deal_t3' "
            f"accumulates 'avg_deal', {NOT_ADDITIVE}; {HINT_NOT_ADDITIVE}")
    for args in (["validate"], ["run", "-m", "avg_deal_t3"], ["run", "-m", "won"]):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert [e for e in done.stderr.splitlines() if "error[" in e] == [want], done.stderr
        assert "Traceback" not in done.stderr


# ------------------------------------------------------------------ to date, at its own grain

def test_to_date_at_its_default_grain(tmp_path, monkeypatch):
    """`to_date: month` with no `grain:` is shown by month (the default): refused at
    `to_date`, with the grain to set."""
    monkeypatch.chdir(tmp_path)
    line = "  - {name: won_mtd, of: won, to_date: month}"
    project_with(tmp_path, line)
    message = ("'won_mtd' accumulates to date within a month; ask for a grain finer than "
               "month, not month")
    assert errors(tmp_path) == [f"{located(tmp_path, line, 'month}')}: error[to-date-grain] "
                                f"{message}; its grain is month (the default): set a grain "
                                "finer than month, e.g. 'grain: day'"]
    assert run_refusal(tmp_path, "won_mtd") == message


def test_to_date_at_a_grain_written_too_coarse(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = "  - {name: won_qtd, of: won, to_date: quarter, grain: quarter}"
    project_with(tmp_path, line)
    message = ("'won_qtd' accumulates to date within a quarter; ask for a grain finer than "
               "quarter, not quarter")
    assert errors(tmp_path) == [f"{located(tmp_path, line, 'quarter}')}: error[to-date-grain] "
                                f"{message}; set a grain finer than quarter, e.g. "
                                "'grain: month'"]
    assert run_refusal(tmp_path, "won_qtd") == message


def test_a_metric_built_on_a_to_date_total_at_a_coarse_grain(tmp_path, monkeypatch):
    """Year-to-date by year, through a comparison of it: refused at the comparison's grain."""
    monkeypatch.chdir(tmp_path)
    line = "  - {name: ytd_change, of: won_ytd, compare: previous_period, grain: year}"
    project_with(tmp_path, line)
    message = ("'won_ytd' accumulates to date within a year; ask for a grain finer than year, "
               "not year")
    assert errors(tmp_path) == [f"{located(tmp_path, line, 'year}')}: error[to-date-grain] "
                                f"{message}; set a grain finer than year, e.g. "
                                "'grain: quarter'"]
    assert run_refusal(tmp_path, "ytd_change") == message


def test_weeks_are_not_finer_than_a_month(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = "  - {name: won_mtd, of: won, to_date: month, grain: week}"
    project_with(tmp_path, line)
    assert [e.split(" error")[0] for e in errors(tmp_path)] == [
        f"{located(tmp_path, line, 'week}')}:"]
    assert "not week" in run_refusal(tmp_path, "won_mtd")


CLASSIC = ["day", "week", "month", "quarter", "year"]


@pytest.mark.parametrize("within", CLASSIC)
@pytest.mark.parametrize("grain", CLASSIC)
def test_validate_refuses_exactly_what_the_compiler_refuses(tmp_path, within, grain):
    project_with(tmp_path, f"  - {{name: x, of: won, to_date: {within}, grain: {grain}}}")
    catalog, _ = resolve(loader.load(tmp_path))
    try:
        compile_tree(catalog, Request(("x",)))
        refused = None
    except engine.UsageError as err:
        refused = str(err)
    found = [e for e in errors(tmp_path) if "to-date-grain" in e]
    assert bool(found) == bool(refused), (found, refused)
    if refused:
        assert f"error[to-date-grain] {refused}; " in found[0]


# ------------------------------------------------------------------ one period: no window

needs_all = pytest.mark.skipif("all" not in Grain.__members__, reason="no `grain: all` here")


@needs_all
@pytest.mark.parametrize("line, token, windowed, words", [
    ("  - {name: x, of: won, to_date: year, grain: all}", "all}", "x", "accumulates over periods"),
    ("  - {name: x, of: won, trailing: 3, grain: all}", "all}", "x", "accumulates over periods"),
    ("  - {name: x, of: won, compare: previous_period, grain: all}", "all}", "x",
     "compares periods"),
    ("  - {name: x, source: deals, measure: count(*), balance: {opens: created_at}, "
     "grain: all}", "all}", "x", "is a balance at each period's start or end"),
    ("  - {name: x, formula: won_ytd + won, grain: all}", "all}", "won_ytd",
     "accumulates over periods"),  # built from one
])
def test_a_window_over_the_whole_range(tmp_path, monkeypatch, line, token, windowed, words):
    """`grain: all` is one period, the whole range: nothing before it to compare with,
    accumulate over or carry a balance from."""
    monkeypatch.chdir(tmp_path)
    project_with(tmp_path, line)
    message = (f"'{windowed}' {words}; --grain all has one period, the whole range: ask for "
               "a grain such as month")
    assert errors(tmp_path) == [f"{located(tmp_path, line, token)}: error[grain-all-window] "
                                f"{message}; set 'grain:' to a grain such as month (the "
                                "default)"]
    assert run_refusal(tmp_path, "x") == message


@needs_all
def test_the_whole_range_of_counts_and_ratios_is_valid(tmp_path):
    project_with(tmp_path, "  - {name: x, formula: won / deals_created, grain: all}\n"
                 "  - {name: y, of: won_per_deal, entity: rep, aggregate: max, grain: all}")
    assert errors(tmp_path) == []
    project = engine.load_project(tmp_path)
    assert project.compile(["x"]) and project.compile(["y"])  # and run compiles them
