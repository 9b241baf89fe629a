"""A share of a balance (engine/rules/shares.py): what a balance counts or sums at a moment is
additive over groups, so ``share_of:`` takes it, as it takes a count or a sum of rows: each
group's open rows over all the open rows, at the same period end. Checked on hand-written
rows (values by hand), with a range that starts after rows opened, and that a balance of a
non-additive measure is still refused."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import pytest

from sales_metrics import adapters, engine

# (id, stage, entered_at, exited_at): lead 1 lead -> mql in January; 2 lead all along;
# 3 mql from December; 4 lead in February
ROWS = [(1, "lead", "2025-01-02 10:00:00", "2025-01-20 10:00:00"),
        (1, "mql", "2025-01-20 10:00:00", ""),
        (2, "lead", "2025-01-05 10:00:00", ""),
        (3, "mql", "2024-12-10 10:00:00", "2025-02-03 10:00:00"),
        (3, "sql", "2025-02-03 10:00:00", ""),
        (4, "lead", "2025-02-10 10:00:00", "")]
METRICS = """\
sources:
  - name: stages
    table: stages
    time: entered_at
    key: [lead_id, stage]
    empty_time: quiet
    dimensions: {stage: stage}
metrics:
  - name: in_stage
    source: stages
    measure: count(*)
    balance: {opens: entered_at, closes: exited_at}
  - name: stage_share
    share_of: in_stage
    across: [stage]
"""


def project_at(root: Path, metrics: str) -> Path:
    data = root / "data"
    data.mkdir()
    with (data / "stages.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["lead_id", "stage", "entered_at", "exited_at"])
        writer.writerows(ROWS)
    (root / "project.yml").write_text("name: shares\nconnection: {type: duckdb, data: data}\n")
    (root / "m.yml").write_text(metrics)
    return root


def values(root: Path, **request) -> dict[tuple, float]:
    project = engine.load_project(root)
    with adapters.connect(project) as conn:
        rows = project.query(["in_stage", "stage_share"], connection=conn, by=["stage"],
                             **request).to_pylist()
    return {(r["period"], r["stage"]): (r["in_stage"], r["stage_share"]) for r in rows}


@pytest.mark.parametrize("start", [None, "2025-01-01"])
def test_each_stage_over_all_the_open_rows_at_period_end(tmp_path, start):
    got = values(project_at(tmp_path, METRICS), grain="month", start=start, end="2025-02-28")
    jan, feb = date(2025, 1, 1), date(2025, 2, 1)
    # end of January: lead 2 (lead), leads 1 and 3 (mql): 3 open; February: 2 and 4 lead,
    # 1 mql, 3 sql: 4 open
    want = {(jan, "lead"): (1, 1 / 3), (jan, "mql"): (2, 2 / 3), (jan, "sql"): (0, 0.0),
            (feb, "lead"): (2, 2 / 4), (feb, "mql"): (1, 1 / 4), (feb, "sql"): (1, 1 / 4)}
    for key, (count, share) in want.items():
        assert got[key][0] == count, key
        assert math.isclose(got[key][1], share), key


def test_validate_accepts_it_and_still_refuses_a_ratio(tmp_path):
    root = project_at(tmp_path, METRICS + """\
  - name: open_ratio
    source: stages
    numerator: count(*)
    denominator: count(*)
    numerator_filters: ["exited_at is null"]
  - name: ratio_share
    share_of: open_ratio
    across: [stage]
""")
    _, found = engine.check_project(root)
    codes = [(d.code, d.span.line) for d in found if d.severity == "error"]
    assert codes == [("share-not-additive", 22)], codes
