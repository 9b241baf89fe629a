"""The benchmark script works end to end at a tiny scale, and every variant of its expert SQL
(b), written from the definitions without the engine's SQL, gives the engine's numbers (a).

Its timings are not checked here: the benchmark is run on demand (README, Performance).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pyarrow as pa
import pytest
from support import ROOT

SCRIPT = ROOT / "examples" / "benchmark.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runs_and_checks_a_against_b(tmp_path):
    numbers = tmp_path / "numbers.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--opportunities", "2000", "--runs", "1", "--naive-runs",
         "1", "--startup-runs", "1", "--run-runs", "1", "--project-runs", "1", "--data", str(tmp_path / "data"),
         "--json", str(numbers)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Checks: (a) = (b) for every metric and row" in done.stdout, done.stdout
    assert "Differences:" not in done.stdout
    data = json.loads(numbers.read_text())
    whole, region = data["results"]
    # the share of won revenue by region runs only grouped by region
    assert (whole["metrics"], region["metrics"]) == (58, 41)
    assert whole["problems"] == {} and region["problems"] == {}
    assert data["data"]["rows"]["opportunities"] == 2000
    assert len(data["startup"]["metrics validate"]["wall"]) == 1


def test_differences_are_found(bench):
    """The (a) = (b) check can fail: a changed value, a missing row, a missing metric."""
    a = pa.table({"period": [1, 2], "won": [10.0, None], "rate": [0.5, 0.25]})
    assert bench.differences(a, a, ["period"], ["won", "rate"]) == {}
    changed = pa.table({"period": [1, 2], "won": [10.0, 3.0], "rate": [0.5, 0.25 + 1e-6]})
    found = bench.differences(a, changed, ["period"], ["won", "rate"])
    assert set(found) == {"won", "rate"}
    assert "1 of 2 rows differ" in found["rate"]
    fewer = pa.table({"period": [1], "won": [10.0]})
    found = bench.differences(a, fewer, ["period"], ["won", "rate"])
    assert set(found) == {"(rows)", "rate"} and found["rate"] == "missing"
    # a metric run alone may cover fewer periods (subset), but not other ones
    assert bench.differences(a, fewer, ["period"], ["won"], subset=True) == {}
