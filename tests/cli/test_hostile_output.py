"""Flags and data from people who did not write the project: printed literally, one-line errors.

Dimension values, labels, descriptions and owners holding Rich markup, emoji codes or ANSI
escapes are shown as written (an escape character as the text ``\\x1b``); bad days, output
files and format mismatches are refused in one line with exit 2; Ctrl-C is one line, exit 130.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import ROOT, run_cli

HOSTILE = ["[/bold] X", "[red]Ann", ":x:", "[link=file:///etc/passwd]click[/link]", "\x1b[31m"]
SHOWN = [h.replace("\x1b", "\\x1b") for h in HOSTILE]  # what a terminal must be given


def write_project(folder: Path) -> Path:
    """Five metrics, each labelled, described and owned by one hostile text; five reps named
    by them; a KPI test that fails for one of them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.yml").write_text("name: hostile\nconnection: {type: duckdb, data: .}\n")
    rows = ["id,closed_at,rep,amount"] + [f'{i},2025-01-1{i},"{h}",{i + 1}'
                                          for i, h in enumerate(HOSTILE)]
    (folder / "deals.csv").write_text("\n".join(rows) + "\n")
    metrics = [{"name": f"m{i}", "source": "deals", "numerator": "sum(amount)", "label": h,
                "description": f"about {h}", "owner": h} for i, h in enumerate(HOSTILE)]
    test = {"name": "hostile_test", "description": f"checks {HOSTILE[1]}", "by": ["rep"],
            "given": {"deals": [{"rep": h, "closed_at": "2025-01-10", "amount": 1}
                                for h in HOSTILE]},
            "expect": [{"period": "2025-01", "rep": h, "m0": 2} for h in HOSTILE]}
    defs = {"sources": [{"name": "deals", "path": "deals.csv", "time": "closed_at", "key": "id",
                         "dimensions": {"rep": "rep"}}], "metrics": metrics, "tests": [test]}
    (folder / "defs.yml").write_text(json.dumps(defs, indent=2))  # JSON is YAML
    return folder


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


def literal(result, texts=SHOWN) -> None:
    """Exit 0, no traceback, every text in stdout as written, no raw escape character."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    for text in texts:
        assert text in result.stdout, (text, result.stdout)


def test_run_prints_dimension_values_and_labels_literally(hostile):
    literal(run_cli("run", "-p", str(hostile), "--by", "rep"))


def test_list_prints_labels_and_owners_literally(hostile):
    literal(run_cli("list", "-p", str(hostile)))


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_show_prints_label_description_and_owner_literally(hostile, index):
    result = run_cli("show", f"m{index}", "-p", str(hostile))
    literal(result, [SHOWN[index], f"about {SHOWN[index]}"])


def test_test_prints_description_and_dimension_values_literally(hostile):
    result = run_cli("test", str(hostile))
    assert result.returncode == 1, result.stderr  # m0 is 1 per rep, not 2: every row fails
    assert "Traceback" not in result.stdout + result.stderr and "\x1b" not in result.stdout
    for text in SHOWN + [f"checks {SHOWN[1]}"]:
        assert text in result.stdout, (text, result.stdout)
    github = run_cli("test", str(hostile), "--format", "github")
    assert "\x1b" not in github.stdout and f"rep {SHOWN[1]}" in github.stdout


def test_diff_prints_added_labels_literally(hostile):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c",
                        "commit.gpgsign=false", *args], cwd=hostile, check=True,
                       capture_output=True)
    defs = json.loads((hostile / "defs.yml").read_text())
    every = defs["metrics"]
    defs["metrics"] = every[:1]
    (hostile / "defs.yml").write_text(json.dumps({**defs, "tests": []}))
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "base")
    defs["metrics"] = every
    (hostile / "defs.yml").write_text(json.dumps(defs))
    literal(run_cli("diff", str(hostile)), SHOWN[1:])


def test_an_error_message_quoting_a_flag_shows_it_literally(hostile):
    result = run_cli("run", "-p", str(hostile), "-m", "[red]x\x1b[2J")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr and "[red]x\\x1b[2J" in result.stderr


# ---------------------------------------------------------------------------------- days

LONG = "9" * 10_000


@pytest.mark.parametrize("flag", ["--start", "--end"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01",
                                   "2025-02-30", "2025-13-01", "tomorrow", "", LONG])
@pytest.mark.parametrize("command", ["run", "compile"])
def test_a_bad_day_is_one_line_and_exit_2(hostile, flag, value, command):
    args = ["run", "-f", "csv"] if command == "run" else ["compile", "m0"]
    result = run_cli(*args, "-p", str(hostile), flag, value)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < 200, lines
    assert result.stdout == ""


def test_the_first_and_last_days_allowed_work(hostile):
    result = run_cli("run", "-p", str(hostile), "-f", "csv", "--grain", "year",
                     "--start", "1900-01-01", "--end", "2200-12-31")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 + 301  # a header and one row per year, 1900..2200


# -------------------------------------------------------------------------- output files

def refused(result, *files: Path) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("name, fmt", [
    ("x.parquet", "csv"), ("x.csv", "parquet"), ("x.json", "csv"), ("x.csv", "json"),
    ("x.txt", "csv"), ("x.xlsx", "csv"), ("x.ods", None), ("x.tsv", None), ("x.png", "html"),
    ("x.csv", "table")])
def test_a_suffix_and_format_mismatch_is_refused_and_the_file_kept(hostile, tmp_path, name, fmt):
    out = tmp_path / name
    out.write_bytes(b"before")
    args = ["run", "-p", str(hostile), "-o", str(out)] + (["-f", fmt] if fmt else [])
    refused(run_cli(*args))
    assert out.read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["proj", name])


@pytest.mark.parametrize("suffix, fmt", [(".csv", "csv"), (".json", "json"),
                                         (".parquet", "parquet"), (".txt", "table")])
def test_without_format_the_suffix_decides(hostile, tmp_path, suffix, fmt):
    out = tmp_path / f"out{suffix}"
    assert run_cli("run", "-p", str(hostile), "-o", str(out)).returncode == 0
    explicit = tmp_path / f"explicit{suffix}"
    assert run_cli("run", "-p", str(hostile), "-o", str(explicit), "-f", fmt).returncode == 0
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(out).equals(pq.read_table(explicit))
    else:
        assert out.read_text() == explicit.read_text()


def test_output_under_a_regular_file_or_missing_folder_is_refused(hostile, tmp_path):
    plain = tmp_path / "file.txt"
    plain.write_text("x")
    for out in (plain / "out.csv", tmp_path / "missing" / "out.csv"):
        refused(run_cli("run", "-p", str(hostile), "-o", str(out)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "proj"]


def test_output_to_a_folder_or_a_device_is_refused(hostile, tmp_path):
    (tmp_path / "reports").mkdir()
    refused(run_cli("run", "-p", str(hostile), "-f", "csv", "-o", str(tmp_path / "reports")))
    assert os.listdir(tmp_path / "reports") == []
    assert "not a regular file" in refused(run_cli("run", "-p", str(hostile), "-o", os.devnull))


def test_output_into_a_read_only_folder_is_refused(hostile, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_cli("run", "-p", str(hostile), "-o", str(locked / "out.csv"))
        if os.geteuid() == 0:  # root writes anywhere: only "no traceback" can be asserted
            assert "Traceback" not in result.stderr
        else:
            assert "not writable" in refused(result)
            assert os.listdir(locked) == []
    finally:
        locked.chmod(stat.S_IRWXU)


def test_docs_under_a_regular_file_is_one_line(hostile, tmp_path):
    plain = tmp_path / "file.txt"
    plain.write_text("x")
    refused(run_cli("docs", "-p", str(hostile), "-o", str(plain / "site")))


def test_a_profiles_file_that_is_not_text_is_one_line(hostile, tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_bytes(b"\xff\xfe\x00")
    refused(run_cli("run", "-p", str(hostile), "-f", "csv", "--profiles-dir",
                    str(tmp_path / "profiles")))


# ----------------------------------------------------------------------- timeout, Ctrl-C

def test_timeout_reaches_the_connection(hostile, tmp_path):
    assert run_cli("run", "-p", str(hostile), "-f", "csv", "--timeout", "30").returncode == 0
    assert run_cli("test", str(hostile), "--timeout", "30").returncode == 1  # runs, fails as above
    # Spark cannot stop a query after a time: an explicit --timeout is refused, not ignored.
    line = refused(run_cli("run", "-p", str(hostile), "--connection", "local[1]",
                           "--timeout", "5"))
    assert line == "error: --timeout: a 'spark' connection cannot stop a query after a time; " \
        "leave --timeout out"
    for command in ("run", "test", "diff"):
        assert "--timeout" in run_cli(command, "--help").stdout


SLOW = """\
sources:
  - name: big
    sql: "select range as id, DATE '2025-01-01' + CAST(range % 300 AS INTEGER) as closed_at,
      range % 7 as amount from range(20000000000)"
    time: closed_at
    key: id
metrics:
  - {name: total, source: big, numerator: count(distinct amount * id)}
"""


def test_ctrl_c_is_one_line_exit_130_and_no_file(tmp_path):
    (tmp_path / "project.yml").write_text("name: slow\nconnection: {type: duckdb}\n")
    (tmp_path / "defs.yml").write_text(SLOW)
    out = tmp_path / "out.csv"
    proc = subprocess.Popen([sys.executable, "-m", "sales_metrics.cli", "run", "-p",
                             str(tmp_path), "-o", str(out), "--timeout", "120"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(5)  # started, and inside the query
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr, stdout) == (130, "interrupted\n", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["defs.yml", "project.yml"]
