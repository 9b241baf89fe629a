"""`limits.max_rows`: a result larger than the project allows is refused, never cut short."""

from __future__ import annotations

import shutil

import pytest

from sales_metrics import adapters, engine
from support import PROJECT_DIR, run_cli


@pytest.fixture
def small(tmp_path):
    folder = tmp_path / "metrics"
    shutil.copytree(PROJECT_DIR, folder)
    settings = (folder / "project.yml").read_text()
    (folder / "project.yml").write_text(settings + "\nlimits: {max_rows: 12}\n")
    data = PROJECT_DIR.parent / "examples" / "data"
    text = (folder / "project.yml").read_text().replace("../examples/data", str(data))
    (folder / "project.yml").write_text(text)
    return folder


def test_a_result_over_the_limit_is_refused(small):
    project = engine.load_project(small)
    with adapters.connect(project) as conn:
        # 2024-01 .. 2024-12: twelve months, exactly the limit
        assert project.query(["deals_won"], connection=conn, grain="month", start="2024-01-01",
                             end="2024-12-31").num_rows == 12
        with pytest.raises(engine.UsageError, match=r"the result has 13 rows, more than "
                           r"limits.max_rows \(12\)"):
            project.query(["deals_won"], connection=conn, grain="month", start="2024-01-01",
                          end="2025-01-31")


def test_the_cli_says_so_in_one_line(small, tmp_path):
    out = tmp_path / "out.csv"
    result = run_cli("run", "-m", "deals_won", "--grain", "day", "--output", str(out),
                     cwd=small)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: the result has ") and \
        len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not out.exists()
