"""`metrics diff` on a real git repository: each kind of change is reported and classified,
the Markdown is a valid table, and `--values` moves values exactly as pandas says it should."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import ROOT

DATA_DIR = ROOT / "examples" / "data"
CELL = re.compile(r"(?<!\\)\|")

NEW_METRIC = """
  - name: demos_given
    label: Demos given
    description: Meetings that were attended.
    owner: sales-ops
    source: activities
    numerator: count(*)
    filters: ["activity_type = 'meeting' and meeting_attended"]
    format: number
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                          capture_output=True, text=True)
    return done.stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not found once in {path}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The bundled catalog committed in a fresh repository (tag `base`), reading the sample
    data by its absolute path."""
    shutil.copytree(ROOT / "metrics", tmp_path / "metrics")
    project = tmp_path / "metrics" / "project.yml"
    project.write_text(re.sub(r"data: \S+", f"data: {DATA_DIR.as_posix()}", project.read_text())
                       .replace("[../examples/data]", f"[{DATA_DIR.as_posix()}]"))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "tag", "base")
    return tmp_path


def change_filter(repo: Path) -> None:
    """calls_made counts calls and meetings: the only change that moves values."""
    edit(repo / "metrics" / "activity.yml", "filters: [\"activity_type = 'call'\"]",
         "filters: [\"activity_type in ('call', 'meeting')\"]")


@pytest.fixture
def changed(repo: Path) -> Path:
    """Every kind of change at once, in the working tree."""
    activity = repo / "metrics" / "activity.yml"
    change_filter(repo)
    edit(activity, "name: emails_sent", "name: emails_logged")  # renamed
    text = activity.read_text()  # removed
    start, end = text.index("  - name: meetings_scheduled"), text.index("  - name: follow_ups")
    activity.write_text(text[:start] + text[end:] + NEW_METRIC)  # and added
    edit(activity, "dimensions: [activity_type, region, team, rep, segment]",
         "dimensions: [activity_type, region, team, rep]")  # follow_ups: segment dropped
    edit(repo / "metrics" / "revenue.yml", "    format: number\n\n  - name: won_revenue",
         "    format: number\n    grain: quarter\n\n  - name: won_revenue")  # deals_won
    return repo


def section(text: str, title: str) -> list[str]:
    """The lines under a heading of the text report, up to the next blank line."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_each_kind_of_change_is_reported_and_classified(cli, changed):
    result = cli("diff", "--base", "base", cwd=changed)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 added, 1 removed, 1 renamed, 3 changed; 4 breaking changes" in out
    assert [line.split()[:2] for line in section(out, "Added")] == [["+", "demos_given"]]
    assert [line.split()[:2] for line in section(out, "Removed")] == [["-", "meetings_scheduled"]]
    assert section(out, "Renamed")[0].startswith("  * emails_sent -> emails_logged")
    assert "[breaking]" in section(out, "Renamed")[0]
    changed_heads = [line for line in section(out, "Changed") if line.startswith("  * ")]
    assert [h.split()[1] for h in changed_heads] == ["calls_made", "follow_ups", "deals_won"]
    flagged = {h.split()[1]: "[breaking]" in h for h in changed_heads}
    assert flagged == {"calls_made": False, "follow_ups": True, "deals_won": True}
    assert section(out, "Breaking changes") == [
        "  ! meetings_scheduled: removed; anything that asks for it fails",
        "  ! emails_logged: renamed from emails_sent; anything that asks for emails_sent fails",
        "  ! follow_ups: can no longer be grouped by segment",
        "  ! deals_won: default grain changed from month to quarter",
    ]
    calls = section(out, "Changed")
    assert "      filters: [\"activity_type = 'call'\"] -> " \
           "[\"activity_type in ('call', 'meeting')\"]" in calls
    assert "      compiled SQL changed:" in calls  # and the SQL diff shows the new filter
    assert any(line.strip().startswith("+") and "IN ('call', 'meeting')" in line
               for line in calls)
    assert "      grain: month -> quarter" in calls


def test_fail_on_breaking_is_for_breaking_changes_only(cli, repo):
    change_filter(repo)
    result = cli("diff", "--base", "base", "--fail-on-breaking", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 changed; 0 breaking changes" in result.stdout
    edit(repo / "metrics" / "activity.yml", "'meeting')\"]\n    dimensions: [region, team, rep, "
         "segment]\n    format: number", "'meeting')\"]\n    dimensions: [region, team, rep, "
         "segment]\n    format: percent")  # calls_made
    result = cli("diff", "--base", "base", "--fail-on-breaking", cwd=repo)
    assert result.returncode == 1
    assert "  ! calls_made: format (its unit) changed from number to percent" in result.stdout
    assert cli("diff", "--base", "base", cwd=repo).returncode == 0


def test_nothing_changed(cli, repo):
    result = cli("diff", cwd=repo)  # --base HEAD: the uncommitted changes
    assert result.returncode == 0, result.stderr
    assert "0 added, 0 removed, 0 renamed, 0 changed; 0 breaking changes" in result.stdout
    assert "no definition changed" in result.stdout


def markdown_tables(text: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    out = []
    for table in tables:
        rows = []
        for line in table:
            assert line.endswith("|") and not line.endswith("\\|"), line
            rows.append([c.strip() for c in CELL.split(line)[1:-1]])
        out.append(rows)
    return out


def test_markdown_is_a_valid_table(cli, changed):
    result = cli("diff", "--base", "base", "--format", "markdown", "--values", cwd=changed)
    assert result.returncode == 0, result.stderr
    tables = markdown_tables(result.stdout)
    assert len(tables) >= 2  # the changes, then the values of calls_made
    for rows in tables:
        header, rule, *body = rows
        assert body and all(len(r) == len(header) for r in rows), rows
        assert all(re.fullmatch(r":?-{3,}:?", cell) for cell in rule), rule
    changes = {(r[0], r[1]): r[3] for r in tables[0][2:]}
    assert changes[("added", "`demos_given`")] == ""
    assert changes[("removed", "`meetings_scheduled`")].startswith("⚠️")
    assert changes[("renamed", "`emails_sent` → `emails_logged`")].startswith("⚠️")
    assert changes[("changed", "`calls_made`")] == ""
    assert "grouped by segment" in changes[("changed", "`follow_ups`")]
    assert "month to quarter" in changes[("changed", "`deals_won`")]
    assert tables[-1][0] == ["Period", "Before", "After", "Change", "Relative"]
    assert "```diff" in result.stdout and "<details>" in result.stdout


def calls_by_month(frames, types: tuple[str, ...]):
    activities = frames["activities"]
    rows = activities[activities["activity_type"].isin(types)]
    return rows.groupby(rows["occurred_at"].dt.strftime("%Y-%m")).size()


def test_values_move_as_pandas_computes(cli, repo, frames):
    change_filter(repo)
    before = calls_by_month(frames, ("call",))
    after = calls_by_month(frames, ("call", "meeting"))
    expected = sorted(((p, int(before.get(p, 0)), int(after[p])) for p in after.index),
                      key=lambda r: (-(r[2] - r[1]), r[0]))
    result = cli("diff", "--base", "base", "--values", "--top", "5", cwd=repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("Values of calls_made"))
    assert lines[title] == (f"Values of calls_made (Calls made), by month: moved in "
                            f"{len(expected)} of {len(after)} periods; the 5 largest")
    assert lines[title + 1].split() == ["Period", "Before", "After", "Change", "Relative"]
    shown = [line.split() for line in lines[title + 2:title + 7]]
    want = [[p, f"{b:,}", f"{a:,}", f"+{a - b:,}", f"{(a - b) / b * 100:+.1f}%"]
            for p, b, a in expected[:5]]
    assert shown == want


def test_errors_are_one_line(cli, repo):
    bad = cli("diff", "--base", "no-such-branch", cwd=repo)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: unknown git ref 'no-such-branch'; name a branch, tag or commit (in CI, fetch "
        "the base first, e.g. `git fetch origin main` and `--base origin/main`)"]
    shutil.rmtree(repo / ".git")
    not_git = cli("diff", cwd=repo)
    assert not_git.returncode == 2 and "not in a git repository" in not_git.stderr
    assert len(not_git.stderr.strip().splitlines()) == 1 and "Traceback" not in not_git.stderr


def test_a_project_that_did_not_exist_at_the_base(cli, tmp_path):
    (tmp_path / "README").write_text("nothing yet\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "empty")
    shutil.copytree(ROOT / "metrics", tmp_path / "metrics")
    result = cli("diff", "--fail-on-breaking", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(no project at HEAD: every metric is new)" in result.stdout
    assert "  + win_rate" in result.stdout


def test_invalid_definitions_at_the_base_are_placed_at_the_ref(cli, repo):
    calls = "\n    filters: [\"activity_type = 'call'\"]"
    edit(repo / "metrics" / "activity.yml", f"numerator: count(*){calls}",
         f"numerater: count(*){calls}")
    git(repo, "commit", "-q", "-am", "typo")
    git(repo, "checkout", "-q", "base", "--", "metrics")
    result = cli("diff", "--base", "HEAD", cwd=repo)
    assert result.returncode == 1
    assert "error: the definitions at HEAD are not valid" in result.stderr
    assert "HEAD:metrics/activity.yml:8:5: error[unknown-key] 'numerater' is not a metric " \
           "field" in result.stderr


def test_a_metric_whose_sql_changed_through_another(cli, repo):
    edit(repo / "metrics" / "conversion.yml", "min_denominator: 5 ", "min_denominator: 10 ")
    result = cli("diff", "--base", "base", cwd=repo)
    assert result.returncode == 0, result.stderr
    heads = [line for line in section(result.stdout, "Changed") if line.startswith("  * ")]
    assert [h.split()[1] for h in heads] == ["win_rate", "pipeline_velocity",
                                             "win_rate_trailing_3"]
    assert "      min_denominator: 5.0 -> 10.0" in result.stdout
    assert result.stdout.count("      compiled SQL changed (through win_rate):") == 2
    assert "0 breaking changes" in result.stdout
