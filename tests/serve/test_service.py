"""The service's Python API, in process: what the HTTP server (and the MCP server) call.

Numbers against the pandas oracle; errors by their stable codes.
"""

from __future__ import annotations

import pytest
from support import PROJECT_DIR
from support.oracle_kpis import enrich, expected, mismatches

from sales_metrics.cli.serve import errors
from sales_metrics.cli.serve.access import FULL, Scope
from sales_metrics.cli.serve.request import QueryRequest
from sales_metrics.cli.serve.service import Service, _previous


@pytest.fixture(scope="module")
def service(monkeypatch_module):
    monkeypatch_module.delenv("METRICS_SERVE_TOKEN", raising=False)
    monkeypatch_module.delenv("METRICS_SERVE_TOKENS", raising=False)
    made = Service(PROJECT_DIR, cache_ttl=0)
    yield made
    made.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_query_returns_an_arrow_table(service, frames):
    result = service.query(QueryRequest(("win_rate",), "quarter", ("region",)))
    assert result.metrics == ("win_rate",) and result.grain == "quarter"
    assert not result.cached and result.catalog == 1 and not result.stale
    assert mismatches(result.table, expected(enrich(frames), ["win_rate"], "quarter",
                                             ["region"])) == []


@pytest.mark.parametrize("first, last, before", [
    ("2025-04-01", "2025-06-30", ("2025-01-01", "2025-03-31")),  # a quarter
    ("2025-03-01", "2025-03-31", ("2025-02-01", "2025-02-28")),  # a month: not 31 days
    ("2025-01-01", "2025-12-31", ("2024-01-01", "2024-12-31")),  # a year
    ("2025-03-10", "2025-03-16", ("2025-03-03", "2025-03-09")),  # a week: as many days
])
def test_the_previous_range(first, last, before):
    from datetime import date

    got = _previous(date.fromisoformat(first), date.fromisoformat(last))
    assert tuple(d.isoformat() for d in got) == before


def test_compare_periods_without_grouping(service, frames):
    out = service.compare_periods("deals_won", "2025-01-01", "2025-03-31")
    opps = frames["opportunities"]
    won = opps[opps["stage"] == "won"]

    def count(lo, hi):
        return int(((won["closed_at"] >= lo) & (won["closed_at"] < hi)).sum())
    now, then = count("2025-01-01", "2025-04-01"), count("2024-10-01", "2025-01-01")
    assert out["rows"] == [{"current": now, "previous": then, "change": now - then,
                            "relative_change": pytest.approx((now - then) / then)}]


def test_compare_periods_refuses_bad_ranges(service):
    with pytest.raises(errors.BadRequest):
        service.compare_periods("deals_won", "2025-03-31", "2025-01-01")
    with pytest.raises(errors.BadRequest):
        service.compare_periods("deals_won", "2025-01-01", "2025-03-31", "2024-01-01")


def test_errors_have_stable_codes(service):
    limited = Scope("t", ("win_rate",), frozenset({"region"}))
    cases = [
        (lambda: service.describe("nope"), "not-found"),
        (lambda: service.query(QueryRequest(("nope",))), "bad-request"),
        (lambda: service.query(QueryRequest(("deals_won",)), limited), "forbidden"),
        (lambda: service.compile(QueryRequest(("win_rate",), by=("team",)), None, limited),
         "forbidden"),
        (lambda: service.dimension_values("nope"), "not-found"),
        (lambda: service.compile(QueryRequest(("win_rate",)), "not_a_dialect"), "bad-request"),
    ]
    for call, code in cases:
        with pytest.raises(errors.MetricsError) as caught:
            call()
        assert errors.code_of(caught.value) == code
        assert errors.body(caught.value)["error"]["code"] == code
    # no token configured: any header (or none) has full access
    assert service.authenticate(None) == service.authenticate("Bearer x") == FULL


def test_an_internal_error_says_nothing_of_itself():
    assert errors.body(KeyError("secret detail")) == {
        "error": {"code": "internal", "message": errors.INTERNAL}}


def test_list_and_describe_agree(service):
    listed = {m["name"]: m for m in service.list_metrics()}
    about = service.describe("average_deal_size")
    assert {k: about[k] for k in listed["average_deal_size"]} == listed["average_deal_size"]
    assert about["uses"] == ["deals_won", "won_revenue"]
    assert "SELECT" in about["sql"] and about["summary"]


def test_a_dimension_request_is_shaped_once():
    with pytest.raises(errors.BadRequest, match="at most 8"):
        QueryRequest.of({"by": ["a"] * 9})
    assert QueryRequest.of({"metrics": "win_rate", "by": "region"}) == QueryRequest(
        ("win_rate",), by=("region",))
