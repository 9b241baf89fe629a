"""A server over a copy of the project: definitions reload, a broken edit keeps the last good
catalog, the cache notices a data change, limits refuse cleanly, and the loopback rule."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest
from serve_helpers import FULL_TOKEN, Server
from support import ROOT


def eventually(check, seconds: float = 15.0):
    """The check's value once it is truthy (the server looks at the files at most every
    second)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.fixture
def copy_server(project_copy):
    server = Server(["--project", str(project_copy), "--max-rows", "2000"],
                    env={"METRICS_SERVE_TOKEN": FULL_TOKEN}, log=project_copy.parent / "log")
    yield server
    server.stop()


def label(server, name: str) -> str:
    metrics = server.get("/v1/metrics").json()["metrics"]
    return next(m["label"] for m in metrics if m["name"] == name)


def test_an_edited_label_is_served_after_a_reload(copy_server, project_copy):
    file = project_copy / "conversion.yml"
    assert label(copy_server, "win_rate") == "Opportunity win rate"
    file.write_text(file.read_text().replace("label: Opportunity win rate",
                                             "label: Win rate (edited)"))
    assert eventually(lambda: label(copy_server, "win_rate") == "Win rate (edited)")
    assert copy_server.get("/healthz").json()["catalog"]["generation"] == 2


def test_a_broken_edit_keeps_the_last_good_catalog(copy_server, project_copy):
    file = project_copy / "conversion.yml"
    good = file.read_text()
    file.write_text(good.replace("label: Opportunity win rate", "label: Broken\n  denominater: x")
                    .replace("numerator:", "numerator: [", 1))
    health = eventually(lambda: (h := copy_server.get("/healthz").json())["status"] ==
                        "degraded" and h)
    assert health and any("conversion.yml" in line for line in health["problems"])
    answer = copy_server.get("/v1/metrics")
    assert answer.status == 200 and answer.headers["x-metrics-catalog"] == "stale"
    assert label(copy_server, "win_rate") == "Opportunity win rate"  # the last good one
    query = copy_server.post("/v1/query", {"metrics": ["win_rate"], "grain": "year"})
    assert query.status == 200 and query.headers["x-metrics-catalog"] == "stale"
    checked = copy_server.get("/v1/validate").json()
    assert checked["valid"] is False and checked["serving"] == 1
    assert any(d["path"] and d["path"].endswith("conversion.yml") and d["line"]
               for d in checked["diagnostics"])
    assert copy_server.get("/healthz", token=None).json() == {"status": "degraded"}
    file.write_text(good)  # fixed: current again
    assert eventually(lambda: copy_server.get("/healthz").json()["status"] == "ok")
    assert copy_server.get("/v1/metrics").headers["x-metrics-catalog"] == "current"


def test_a_data_change_invalidates_the_cache(copy_server, project_copy):
    request = {"metrics": ["deals_won", "won_revenue"], "grain": "all"}
    first = copy_server.post("/v1/query", request)
    assert copy_server.post("/v1/query", request).headers["x-metrics-cache"] == "hit"
    data = project_copy.parent / "examples" / "data" / "opportunities.parquet"
    frame = pd.read_parquet(data)
    won = frame["stage"] == "won"
    frame.loc[won, "amount"] = frame.loc[won, "amount"] * 2  # every won deal worth twice
    frame.to_parquet(data)
    again = copy_server.post("/v1/query", request)
    assert again.headers["x-metrics-cache"] == "miss"
    before, after = first.json()["rows"][0], again.json()["rows"][0]
    assert after["deals_won"] == before["deals_won"] == int(won.sum())
    assert after["won_revenue"] == pytest.approx(frame.loc[won, "amount"].sum())
    assert after["won_revenue"] == pytest.approx(2 * before["won_revenue"])


def test_too_many_rows_are_refused(copy_server):
    answer = copy_server.post("/v1/query", {"metrics": ["calls_made"], "grain": "day",
                                            "by": ["rep"]})
    assert answer.status == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "too-many-rows" and "2,000" in error["message"]


def test_no_cache_with_a_ttl_of_zero(project_copy):
    server = Server(["--project", str(project_copy), "--cache-ttl", "0"],
                    log=project_copy.parent / "log0")
    try:
        request = {"metrics": ["calls_made"], "grain": "year"}
        assert server.post("/v1/query", request, token=None).headers["x-metrics-cache"] == "miss"
        assert server.post("/v1/query", request, token=None).headers["x-metrics-cache"] == "miss"
    finally:
        server.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_no_token_listens_on_loopback_only(host):
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("METRICS_SERVE")}
    out = subprocess.run([sys.executable, "-m", "sales_metrics.cli", "serve", "--host", host,
                          "--port", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"error: refusing to listen on {host} without a token: anyone who can reach it could "
        "read every metric; set METRICS_SERVE_TOKEN (or --tokens FILE), or listen on 127.0.0.1"]


@pytest.mark.parametrize("token", ["short", ""])
def test_a_short_token_is_refused_at_start(token):
    env = {**__import__("os").environ, "METRICS_SERVE_TOKEN": token}
    out = subprocess.run([sys.executable, "-m", "sales_metrics.cli", "serve", "--port", "1"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "at least 16 characters" in out.stderr and "Traceback" not in out.stderr


def test_a_query_over_the_timeout_is_504_and_the_next_one_runs(project_copy):
    """A whole-catalog query by day cannot finish in a millisecond; the connection it ran on
    is dropped, and a small query after it is answered."""
    server = Server(["--project", str(project_copy), "--cache-ttl", "0", "--timeout", "0.001"],
                    log=project_copy.parent / "log-timeout")
    try:
        answer = server.post("/v1/query", {"grain": "day"}, token=None)
        assert answer.status == 504, answer.text
        error = answer.json()["error"]
        assert error["code"] == "timeout" and "statement_timeout" in error["message"]
        assert server.get("/v1/metrics", token=None).status == 200
    finally:
        server.stop()
    assert "Traceback" not in server.stderr()


def test_parallel_queries_get_the_same_answer(project_copy):
    """More requests at once than query slots (2), none from the cache: each waits for a
    slot and a connection of its own, and each gets the answer it gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    server = Server(["--project", str(project_copy), "--cache-ttl", "0", "--max-concurrent",
                     "2"], log=project_copy.parent / "log-parallel")
    try:
        requests = [{"metrics": [m], "grain": g, "by": ["region"]}
                    for m in ("deals_won", "win_rate", "calls_made", "leads_created")
                    for g in ("month", "quarter", "year")]
        alone = [server.post("/v1/query", r, token=None).json()["rows"] for r in requests]
        with ThreadPoolExecutor(12) as pool:
            together = list(pool.map(lambda r: server.post("/v1/query", r, token=None),
                                     requests * 2))
        assert [a.status for a in together] == [200] * len(together)
        assert [a.json()["rows"] for a in together] == alone * 2
    finally:
        server.stop()
