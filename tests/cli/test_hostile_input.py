"""Hostile input: definitions and request flags from people who did not write the project.

Each input listed in the issue gives exactly one clean diagnostic line (or usage line) and a
stable exit code, within bounded time and memory (a subprocess with a memory cap and a
timeout). Then hypothesis generates YAML, expressions and flags: whatever comes, the answer
is diagnostics or one clean error line and exit code 0, 1 or 2, never a traceback.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from sales_metrics import engine
from sales_metrics.cli.main import app
from support import PROJECT_DIR, ROOT, run_cli

BASE = ROOT / "tests" / "load" / "cases" / "base_project"
MEMORY_CAP = 1_500_000_000  # bytes of address space: a billion laughs needs more than 8 GB
FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
NESTED = "(" * 500 + "1" + ")" * 500


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    shutil.copytree(BASE, tmp_path, dirs_exist_ok=True)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def bounded(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`metrics ...` in its own process, with a memory cap and a timeout: a regression fails
    this test instead of taking the machine down."""
    return subprocess.run([sys.executable, "-m", "sales_metrics.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, preexec_fn=_cap_memory)


def errors(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if "error[" in line or
            line.startswith("error:")]


def assert_one_line(result, code: int, line: str) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == code, result.stderr
    assert errors(result) == [line]


# --------------------------------------------------------------- the inputs from the issue

BILLION_LAUGHS = "\n".join(
    [f"a: &a [{', '.join(['lol'] * 9)}]"]
    + [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]) + "\n"


def test_billion_laughs_is_refused_before_expanding(tmp_path):
    make(tmp_path, {"lol.yml": BILLION_LAUGHS})
    # Counted by hand: line 2 has 9 aliases (9), line 3 nine of 1 + 9 each (99 in all), and
    # each *c on line 4 adds 1 + 90: the second one (column 12) passes 200.
    result = bounded("validate", cwd=tmp_path)
    assert_one_line(result, 1, "lol.yml:4:12: error[too-many-aliases] too many YAML aliases: "
                    "with *c the file uses more than limits.yaml_aliases (200) in project.yml "
                    "allows (counting the aliases inside the values they repeat); write the "
                    "values out, or raise limits.yaml_aliases")
    assert bounded("test", cwd=tmp_path).returncode == 1


def test_a_few_aliases_within_the_limit_still_work(tmp_path):
    make(tmp_path, {"m.yml": "metrics:\n  - name: deals\n    source: opportunities\n"
                             "    numerator: count(*)\n    filters: &f [\"amount > 0\"]\n"
                             "  - name: deals_2\n    source: opportunities\n"
                             "    numerator: count(*)\n    filters: *f\n"})
    project, diagnostics = engine.check_project(tmp_path)
    assert diagnostics == [] and project is not None


def test_the_alias_limit_is_read_from_project_yml(tmp_path):
    make(tmp_path, {"m.yml": "x: &x [1]\ny: [*x, *x, *x]\n"})
    with open(tmp_path / "project.yml", "a") as f:
        f.write("limits:\n  yaml_aliases: 2\n")
    _, diagnostics = engine.check_project(tmp_path)
    assert [(d.code, d.span.line, d.span.col) for d in diagnostics] == [
        ("too-many-aliases", 2, 13)]


CYCLE = ("metrics:\n  - name: a\n    formula: b + 1\n  - name: b\n    formula: c * 2\n"
         "  - name: c\n    formula: a - 1\n")
CYCLE_LINE = ("m.yml:3:14: error[metric-cycle] metrics refer to each other in a cycle: a -> b "
              "-> c -> a; one of them must be defined from a source, not from the others")


def test_three_formulas_in_a_cycle_are_one_diagnostic(tmp_path, monkeypatch):
    settings_file = make(tmp_path, {"m.yml": CYCLE}) / "project.yml"
    settings_file.write_text(settings_file.read_text().replace(  # the lint that used to recurse
        "unused-dimension: off", "unused-dimension: warning"))
    monkeypatch.chdir(tmp_path)
    project, diagnostics = engine.check_project(tmp_path)  # documented as non-raising
    assert project is None and [d.render() for d in diagnostics] == [CYCLE_LINE]


@pytest.mark.parametrize("command", [["validate"], ["list"], ["show", "a"], ["run", "-m", "a"],
                                     ["test"], ["compile", "a"]])
def test_every_command_reports_a_cycle_in_one_line(tmp_path, monkeypatch, command):
    make(tmp_path, {"m.yml": CYCLE})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, command)
    assert not isinstance(result.exception, RecursionError)
    assert result.exit_code == 1, result.output
    assert [line for line in result.stderr.splitlines() if "error[" in line] == [CYCLE_LINE]


def _chain(levels: int) -> str:
    """m0 counts deals; m1 = m0 + 1, ..., each built on the one before."""
    return "metrics:\n  - name: m0\n    source: opportunities\n    numerator: count(*)\n" + \
        "".join(f"  - name: m{i}\n    formula: m{i - 1} + 1\n" for i in range(1, levels + 1))


def test_a_chain_of_a_thousand_formulas_is_one_line(tmp_path):
    make(tmp_path, {"m.yml": _chain(1000)})
    result = bounded("validate", cwd=tmp_path)
    # m0 on lines 2-4; m{i} on lines 3 + 2i (name) and 4 + 2i (formula, from column 14)
    assert_one_line(result, 1, "m.yml:106:14: error[metric-too-deep] metric 'm51' is built on "
                    "51 levels of other metrics, more than limits.metric_depth (50) in "
                    "project.yml allows; compute it from fewer steps, or raise "
                    "limits.metric_depth")


def test_a_chain_as_deep_as_the_limit_allows_runs(tmp_path):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from support import DATA_DIR

    make(tmp_path, {"m.yml": _chain(200)})
    with open(tmp_path / "project.yml", "a") as f:
        f.write(f"limits: {{metric_depth: 200}}\nallowed_paths: [{DATA_DIR}]\n"
                f"connection: {{data: {DATA_DIR}}}\n")
    result = bounded("run", "-m", "m200", "--grain", "year", "--format", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    created = pq.read_table(DATA_DIR / "opportunities.parquet").column("created_at")
    years = pc.value_counts(pc.year(created)).to_pylist()
    expected = sorted(f"{v['values']}-01-01,{v['counts'] + 200}" for v in years)
    assert sorted(result.stdout.strip().splitlines()[1:]) == expected


def test_a_cycle_through_a_numerator_and_of(tmp_path, monkeypatch):
    make(tmp_path, {"m.yml": "metrics:\n  - name: a\n    numerator: b\n    denominator: b\n"
                             "  - name: b\n    trailing: 3\n    of: a\n"})
    monkeypatch.chdir(tmp_path)
    _, diagnostics = engine.check_project(tmp_path)
    assert [d.code for d in diagnostics if d.severity == "error"] == ["metric-cycle"]


DEEP = ("error[expression-too-deep] the expression nests 500 levels deep, more than "
        "limits.expression_depth (100) in project.yml allows; simplify it, or raise "
        "limits.expression_depth")


@pytest.mark.parametrize("field, col", [("formula", 14), ("numerator", 16)])
def test_500_nested_parentheses_in_a_definition(tmp_path, field, col):
    text = f"sum({NESTED[1:-1]})" if field == "numerator" else NESTED  # still 500 deep
    source = "    source: opportunities\n" if field == "numerator" else "    label: x\n"
    make(tmp_path, {"m.yml": f"metrics:\n  - name: deep\n{source}    {field}: \"{text}\"\n"})
    result = bounded("validate", cwd=tmp_path)
    assert_one_line(result, 1, f"m.yml:4:{col}: {DEEP}")


@pytest.mark.parametrize("command", [["compile", "win_rate"], ["run", "-m", "win_rate"]])
def test_500_nested_parentheses_in_where(command):
    result = bounded(*command, "--where", NESTED, "--project", str(PROJECT_DIR), cwd=ROOT)
    assert_one_line(result, 2, "error: --where: the expression nests 500 levels deep, more "
                    "than limits.expression_depth (100) in project.yml allows; simplify it")


JINJA = [
    ("{% for i in range(100000000) %}x{% endfor %} = 1", "template-loop-too-long",
     "the template loops over 100,000,000 items, more than limits.template_loop (10,000) in "
     "project.yml allows; loop over less, or raise limits.template_loop"),
    ("{% for x in range(100) recursive %}{% if loop.depth < 5 %}{{ loop(range(100)) }}"
     "{% endif %}{% endfor %} = 1", "template-loop-too-long",  # 100**5 items, in depth
     "the template loops over 10,001 items, more than limits.template_loop (10,000) in "
     "project.yml allows; loop over less, or raise limits.template_loop"),
    ("{% include 'other.sql' %}", "template-no-loader", "{% include %} is not available: "
     "templates here have no loader to read other files; put shared SQL in a macro in the "
     "macros folder and call it by name"),
    ("{% import 'macros.sql' as m %}", "template-no-loader", "{% import %} is not available: "
     "templates here have no loader to read other files; put shared SQL in a macro in the "
     "macros folder and call it by name"),
    ("{{ 'x' * 1000000000 }}", "template-too-large", "the template would render "
     "1,000,000,000 characters, more than limits.template_output (100,000) in project.yml "
     "allows; render less, or raise limits.template_output"),
]


@pytest.mark.parametrize("template, code, message", JINJA, ids=[c for _, c, _ in JINJA])
def test_jinja_limits(tmp_path, template, code, message):
    make(tmp_path, {"m.yml": "metrics:\n  - name: deals\n    source: opportunities\n"
                             f"    numerator: count(*)\n    filters: [\"{template}\"]\n"})
    result = bounded("validate", cwd=tmp_path)
    assert_one_line(result, 1, f"m.yml:5:15: error[{code}] {message}")


@pytest.mark.parametrize("where", ["profiles.yml", "profiles.yaml", "sub/profiles.yml"])
def test_profiles_beside_the_project_are_not_definitions(tmp_path, where):
    make(tmp_path, {where: (ROOT / "examples" / "profiles.yml").read_text()})
    project, diagnostics = engine.check_project(tmp_path)
    assert diagnostics == [] and project is not None
    assert not any(Path(f).name.startswith("profiles") for f in project.loaded.files)


def test_a_file_over_the_size_limit_is_not_read(tmp_path):
    padding = "# padding\n" * 300
    make(tmp_path, {"big.yml": padding})
    with open(tmp_path / "project.yml", "a") as f:
        f.write("limits:\n  file_bytes: 1000\n")
    _, diagnostics = engine.check_project(tmp_path)
    assert [(d.code, Path(d.span.path).name, d.message) for d in diagnostics] == [
        ("file-too-large", "big.yml", f"the file has {len(padding.encode()):,} bytes, more "
         "than limits.file_bytes (1,000) in project.yml allows")]


def test_yaml_nested_too_deep_is_refused_at_the_level_past_the_limit(tmp_path):
    # The file is a mapping (level 1) holding a list nested 70 deep: level 65 is the first
    # past the default of 64; it opens at column 4 + 63 brackets = 67 of line 1.
    make(tmp_path, {"deep.yml": "x: " + "[" * 70 + "]" * 70 + "\n"})
    _, diagnostics = engine.check_project(tmp_path)
    assert [(d.code, d.span.line, d.span.col, d.message) for d in diagnostics] == [
        ("yaml-too-deep", 1, 67, "mappings and lists nest more than limits.yaml_depth (64) "
         "in project.yml allows")]
    with open(tmp_path / "project.yml", "a") as f:
        f.write("limits:\n  yaml_depth: 80\n")
    _, diagnostics = engine.check_project(tmp_path)
    assert "yaml-too-deep" not in [d.code for d in diagnostics]


# --------------------------------------------------------------------------- generated YAML

ODD_KEYS = st.sampled_from(["name", "metrics", "sources", "tests", "numerator", "formula", "of",
                            "filters", "dimensions", "source", "on", "yes", "~", "1", "? x",
                            "<<", "ü", "-", "true", "null"])
SCALARS = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["1e999", "-.inf", ".nan", "0x1F", "0o17", "2024-13-45", "null", "~",
                     "yes", "''", '""', "'it''s'", "count(*)", "sum(amount)", "{{ var('won') }}",
                     "{{ nope }}", "{% for i in range(99999999) %}x{% endfor %}", "!!binary aGk=",
                     "!!python/object:os.system", "*undefined", "&only"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12).map(
        lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)


@st.composite
def yaml_docs(draw) -> str:
    """Flow-style YAML with anchors on some values and aliases to earlier anchors."""
    anchors: list[str] = []

    def node(depth: int) -> str:
        if draw(st.booleans()) and anchors:
            return "*" + draw(st.sampled_from(anchors))
        kind = draw(st.sampled_from(["scalar", "list", "map"] if depth < 6 else ["scalar"]))
        if kind == "scalar":
            text = draw(SCALARS)
        elif kind == "list":
            text = "[" + ", ".join(node(depth + 1) for _ in range(draw(st.integers(0, 4)))) + "]"
        else:
            pairs = {draw(ODD_KEYS): node(depth + 1) for _ in range(draw(st.integers(0, 4)))}
            text = "{" + ", ".join(f"{k}: {v}" for k, v in pairs.items()) + "}"
        if draw(st.integers(0, 3)) == 0:
            anchors.append(f"a{len(anchors)}")
            text = f"&{anchors[-1]} {text}"
        return text
    top = draw(st.sampled_from(["metrics", "sources", "tests", "other"]))
    return f"{top}: {node(0)}\n"


def assert_clean_check(folder: Path) -> None:
    project, diagnostics = engine.check_project(folder)  # must not raise
    assert all(isinstance(d, engine.Diagnostic) and "\n" not in d.render() for d in diagnostics)
    assert (project is None) == any(d.severity == "error" for d in diagnostics)


@FAST
@given(doc=yaml_docs())
def test_generated_yaml_gives_diagnostics_never_a_traceback(tmp_path_factory, doc):
    folder = make(tmp_path_factory.mktemp("yaml"), {"m.yml": doc})
    assert_clean_check(folder)


# -------------------------------------------------------------------- generated expressions

TOKENS = st.sampled_from([
    "(", ")", "[", "]", "sum(", "count(*)", "avg(", "amount", "stage", "reps.region", "'",
    '"', "`", "'won'", "and", "or", "not", "case", "when", "then", "else", "end", ",", "+",
    "-", "*", "/", "%", "::int", "1", "1e999", "99999999999999999999", "null", "is", "in",
    "between", "like", "over (", "partition by", "select", "from", ";", "drop table x",
    "--", "/*", "*/", "{{", "}}", "{%", "%}", "var('won')", "{{ var('won') }}", "ü", "\\",
    "$1", "?", ":x", "@x", "#", "=", "<>", ">=", "||", "->", "->>",
])


@st.composite
def expressions(draw) -> str:
    tokens = " ".join(draw(st.lists(TOKENS, max_size=14)))
    depth = draw(st.sampled_from([0, 0, 0, 3, 99, 101, 300, 700]))
    opener = draw(st.sampled_from(["(", "not ", "-", "case when ", "abs(", "["]))
    closer = {"(": ")", "abs(": ")", "[": "]", "case when ": " then 1 end"}.get(opener, "")
    return opener * depth + tokens + closer * draw(st.integers(0, depth))


def metric_file(field: str, text: str) -> str:
    value = text.replace("\\", "\\\\").replace('"', '\\"')
    if field in ("filters", "numerator_filters"):
        value = f'["{value}"]'
    else:
        value = f'"{value}"'
    body = {"formula": f"    formula: {value}\n"}.get(field, (
        "    source: opportunities\n    numerator: count(*)\n" if field != "numerator" else
        "    source: opportunities\n") + f"    {field}: {value}\n")
    return "metrics:\n  - name: deals\n    source: opportunities\n    numerator: count(*)\n" \
        f"  - name: generated\n{body}"


@FAST
@given(field=st.sampled_from(["numerator", "denominator", "filters", "formula"]),
       text=expressions())
def test_generated_expressions_give_diagnostics(tmp_path_factory, field, text):
    folder = make(tmp_path_factory.mktemp("expr"), {"m.yml": metric_file(field, text)})
    assert_clean_check(folder)


@FAST
@given(text=expressions())
def test_generated_dimensions_give_diagnostics(tmp_path_factory, text):
    sources = yaml.safe_load((BASE / "sources.yml").read_text())
    sources["sources"][1]["dimensions"]["generated"] = text
    folder = make(tmp_path_factory.mktemp("dim"), {"sources.yml": yaml.safe_dump(sources)})
    assert_clean_check(folder)


# -------------------------------------------------------------------------- generated flags

FLAG_TEXT = st.one_of(expressions(), st.text(max_size=20), st.sampled_from(
    ["win_rate", "deals", "region", "reps.region", "month", "MONTH", "fortnight", "2024-01-01",
     "2024-02-30", "-1", "", " ", "--", "\x00"]))
FLAGS = st.lists(st.tuples(st.sampled_from(["--where", "--by", "--grain", "--start", "--end",
                                            "-m"]), FLAG_TEXT), max_size=4)


def cli_result_is_clean(result) -> None:
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    return make(tmp_path_factory.mktemp("flags"), {"m.yml": (
        "metrics:\n  - name: deals\n    source: opportunities\n    numerator: count(*)\n"
        "  - name: deals_won\n    source: opportunities\n    numerator: count(*)\n"
        "    filters: [\"stage = 'won'\"]\n  - name: win_rate\n    formula: deals_won / deals\n")})


@FAST
@given(flags=FLAGS, metric=FLAG_TEXT)
def test_generated_compile_flags(small_project, flags, metric):
    args = ["compile", "--project", str(small_project), "--", metric or "deals"]
    options = [part for flag, text in flags for part in (flag, text) if flag != "-m"]
    result = CliRunner().invoke(app, args[:3] + options + args[3:])
    cli_result_is_clean(result)


@settings(FAST, max_examples=15)
@given(flags=FLAGS)
def test_generated_run_flags(flags):
    options = [part for flag, text in flags for part in (flag, text)]
    result = CliRunner().invoke(app, ["run", "--project", str(PROJECT_DIR), "-f", "csv",
                                      *options])
    cli_result_is_clean(result)


@pytest.mark.parametrize("flags", [["--grain", "fortnight"], ["--start", "2024-02-30"],
                                   ["--by", "nope"], ["--where", "stage = 'won"],
                                   ["-m", "nope"], ["--where", "{{ 'x' * 10 }}"]])
def test_bad_flags_in_a_real_process_are_one_line(flags):
    result = run_cli("run", "--project", str(PROJECT_DIR), "-f", "csv", "-m", "win_rate", *flags)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 3
