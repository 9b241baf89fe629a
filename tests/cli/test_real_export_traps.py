"""Traps of real CRM exports, through `metrics run`: rows whose time is empty, filters that
match nothing, periods from the sources' own range. Expected values by hand from the rows
written below.

deals (id, created, closed, stage, amount):
  1 2025-01-05 2025-01-20 won  100     4 2025-02-11 (empty)    won  400   <- won, no close date
  2 2025-01-06 2025-02-03 lost  50     5 2025-03-02 (empty)    open  70
  3 2025-02-10 2025-03-15 won  300     6 2025-04-20 2025-04-28 lost  20
"""

from __future__ import annotations

import csv
import io
import textwrap

import pytest
from support import run_cli

DEALS = """\
id,created_at,closed_at,stage,amount
1,2025-01-05,2025-01-20,won,100
2,2025-01-06,2025-02-03,lost,50
3,2025-02-10,2025-03-15,won,300
4,2025-02-11,,won,400
5,2025-03-02,,open,70
6,2025-04-20,2025-04-28,lost,20
"""

DEFS = """\
sources:
  - name: deals
    table: deals
    time: closed_at
    dimensions: {{stage: stage}}
{quiet}metrics:
  - name: won_revenue
    source: deals
    numerator: sum(amount)
    filters: ["stage = 'won'"]
  - name: win_rate
    source: deals
    numerator: count(*)
    denominator: count(*)
    numerator_filters: ["stage = 'won'"]
    filters: ["stage in ('won', 'lost')"]
  - name: refunds
    source: deals
    numerator: count(*)
    filters: ["stage = 'refunded'"]
  - name: created
    source: deals
    time: created_at
    numerator: count(*)
  - name: open_amount
    source: deals
    measure: sum(amount)
    balance: {{opens: created_at, closes: closed_at}}
"""


@pytest.fixture
def project(tmp_path):
    def make(quiet: bool = False):
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / "deals.csv").write_text(DEALS)
        (tmp_path / "project.yml").write_text(
            "name: traps\nconnection: {data: data}\nlint: {missing-format: off, "
            "missing-label: off, missing-description: off, missing-owner: off}\n")
        (tmp_path / "defs.yml").write_text(DEFS.format(
            quiet="    empty_time: quiet\n" if quiet else ""))
        return str(tmp_path)
    return make


def notes(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("note:")]


def test_rows_without_a_time_are_counted_in_a_note(project):
    result = run_cli("run", "-m", "won_revenue", "-m", "win_rate", "-m", "open_amount",
                     "--project", project(), "--format", "csv")
    assert result.returncode == 0, result.stderr
    # Deal 4 is won with no close date: won_revenue and win_rate (it is closed) leave it out.
    # open_amount is a balance: an empty close date is a deal still open, not a lost row.
    assert notes(result) == [
        "note: won_revenue: 1 rows of deals that it counts have no closed_at, so they are in "
        "no period (empty_time: quiet on the source to not be told)",
        "note: win_rate: 1 rows of deals that it counts have no closed_at, so they are in no "
        "period (empty_time: quiet on the source to not be told)"]
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # Months from the first to the last close or creation: January .. April. Won revenue and
    # win rate by close month; open amount at each month's end (deal 4 never closes).
    assert [(r["period"], float(r["won_revenue"]), float(r["win_rate"]),
             float(r["open_amount"])) for r in rows] == [
        ("2025-01-01", 100, 1, 50), ("2025-02-01", 0, 0, 700), ("2025-03-01", 300, 1, 470),
        ("2025-04-01", 0, 0, 470)]


def test_empty_time_quiet_is_the_choice_not_to_be_told(project):
    result = run_cli("run", "-m", "won_revenue", "--project", project(quiet=True),
                     "--format", "csv")
    assert result.returncode == 0 and notes(result) == []


def test_a_filter_that_matches_nothing_shows_zeros_over_the_sources_range(project):
    result = run_cli("run", "-m", "refunds", "--project", project(), "--format", "csv")
    assert result.returncode == 0, result.stderr
    # The closed_at range of all deals: January (deal 1) to April (deal 6).
    assert result.stdout.strip().splitlines() == [
        '"period","refunds"', "2025-01-01,0", "2025-02-01,0", "2025-03-01,0", "2025-04-01,0"]
    assert notes(result) == [
        "note: refunds is 0 or empty in every period: no rows matched its filters in the range "
        "(check them, and --where)"]


def test_where_matching_nothing_keeps_the_periods(project):
    result = run_cli("run", "-m", "created", "--where", "stage = 'refunded'", "--project",
                     project(), "--format", "csv", "--grain", "quarter")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == ['"period","created"', "2025-01-01,0",
                                                  "2025-04-01,0"]


def test_a_dimension_written_over_a_join_reads_the_join(tmp_path):
    """`dimensions: {owner_region: reps.region}` on deals: the scan joins reps for it (a deal
    whose owner is not in the roster has no region: its own group)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "deals.csv").write_text(
        "id,owner,closed_at,amount\n1,ann,2025-01-03,10\n2,bob,2025-01-09,20\n"
        "3,zed,2025-01-20,40\n4,ann,2025-02-02,80\n")
    (tmp_path / "data" / "reps.csv").write_text("rep_id,region\nann,EMEA\nbob,APAC\n")
    (tmp_path / "project.yml").write_text("name: joins\nconnection: {data: data}\n")
    (tmp_path / "defs.yml").write_text(textwrap.dedent("""\
        sources:
          - {name: reps, table: reps, key: rep_id}
          - name: deals
            table: deals
            time: closed_at
            joins: [{to: reps, on: owner = reps.rep_id}]
            dimensions: {owner_region: reps.region}
        metrics:
          - {name: amount, source: deals, numerator: sum(amount), format: number,
             label: Amount, description: Sum of amounts., owner: ops}
    """))
    result = run_cli("run", "-m", "amount", "--by", "owner_region", "--grain", "all",
                     "--project", str(tmp_path), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.strip().splitlines()[1:]) == sorted(
        [',"APAC",20', ',"EMEA",90', ',,40'])
