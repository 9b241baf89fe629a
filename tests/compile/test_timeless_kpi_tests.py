"""`metrics test` on a metric with `time: none` (a roster): its rows need no time column.

The KPI tests list the columns each KPI reads so that rows lacking one are reported; a metric
whose rows have no time must not ask for a column named 'none'."""

from __future__ import annotations

from support import run_cli

DEFS = """
sources:
  - {name: accounts, table: accounts, key: account_id, dimensions: {segment: segment}}
  - {name: deals, table: deals, time: closed_at}
metrics:
  - {name: accounts_total, source: accounts, time: none, numerator: count(*)}
  - {name: deals_won, source: deals, numerator: count(*)}
  - {name: deals_per_account, formula: deals_won / accounts_total}
tests:
  - name: a_roster_in_every_period
    grain: month
    start: 2025-01-01
    end: 2025-02-28
    given:
      accounts: [{account_id: 1}, {account_id: 2}, {account_id: 3}, {account_id: 4}]
      deals: [{closed_at: 2025-01-05 10:00:00}, {closed_at: 2025-01-06 10:00:00}]
    expect:
      - {period: 2025-01, accounts_total: 4, deals_per_account: 2/4}
      - {period: 2025-02, accounts_total: 4, deals_per_account: 0}
"""


def test_a_timeless_metric_needs_no_time_column(tmp_path):
    (tmp_path / "project.yml").write_text("name: timeless\n")
    (tmp_path / "defs.yml").write_text(DEFS)
    result = run_cli("test", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS a_roster_in_every_period" in result.stdout
    assert "none" not in result.stderr
