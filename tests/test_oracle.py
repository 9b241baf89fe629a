"""Oracle tests: every catalog KPI, as computed by the engine on DuckDB, against pandas.

The expectations come from tests/oracle_kpis.py, a hand-written pandas version of each KPI's
business meaning (joins to reps/accounts by key, periods bucketed with pandas, a full period x
dimension spine with 0 for empty counts/sums and null for empty averages/ratios).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from oracle_kpis import ORACLES, enrich, expected, mismatches

# A second dimension per metric besides region, so that lead_source, segment, activity_type,
# product and industry are each covered somewhere.
OTHER_DIM = {
    "calls_made": "segment",
    "emails_sent": "team",
    "meetings_scheduled": "segment",
    "follow_ups": "activity_type",
    "email_open_rate": "segment",
    "click_through_rate": "rep",
    "meeting_attendance_rate": "segment",
    "leads_created": "lead_source",
    "lead_conversion_rate": "lead_source",
    "mql_to_sql_rate": "lead_source",
    "opportunities_created": "product",
    "pipeline_created": "segment",
    "open_pipeline": "deal_type",
    "win_rate": "lead_source",
    "deals_won": "industry",
    "won_revenue": "rep",
    "average_deal_size": "rep",      # months where a rep's only won deals lack an amount
    "sales_cycle_length": "lead_source",
}
METRICS = sorted(ORACLES)


@pytest.fixture(scope="session")
def src(frames):
    return enrich(frames)


def is_emea(d):
    return d["region"] == "EMEA"


def check(table, want):
    problems = mismatches(table, want)
    assert not problems, "engine differs from the pandas oracle:\n" + "\n".join(problems)


def test_every_catalog_metric_has_an_oracle(project):
    assert set(project.metrics) == set(ORACLES)
    assert set(project.metrics) == set(OTHER_DIM)


@pytest.mark.parametrize("metric", METRICS)
def test_grouping_dimensions_are_allowed(project, metric):
    dims = project.metrics[metric].dimensions
    assert "region" in dims and OTHER_DIM[metric] in dims


@pytest.mark.parametrize("grouping", ["none", "region", "other"])
@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize("metric", METRICS)
def test_metric_matches_oracle(project, duck, src, metric, grain, grouping):
    by = {"none": [], "region": ["region"], "other": [OTHER_DIM[metric]]}[grouping]
    table = project.query([metric], connection=duck, grain=grain, by=by)
    check(table, expected(src, [metric], grain, by))


def test_oracle_sanity(src):
    """The oracle's own spine and fill rules, on facts read straight off the data."""
    want = expected(src, ["calls_made"], "month", ["segment"])
    months = sorted(set(want["period"]))
    assert months[0] == date(2024, 1, 1) and months[-1] == date(2025, 12, 1) and len(months) == 24
    assert len(want) == 24 * 4                      # 3 segments + calls with no account (null)
    assert want["segment"].isna().sum() == 24
    acts = src["activities"]
    assert want["calls_made"].sum() == (acts["activity_type"] == "call").sum()
    rate = expected(src, ["win_rate"], "quarter")
    closed = src["opportunities"][src["opportunities"]["stage"].isin(["won", "lost"])]
    q1 = closed[closed["closed_at"] < "2024-04-01"]
    assert rate["win_rate"].iloc[0] == pytest.approx((q1["stage"] == "won").mean())


# --- several metrics from different sources in one query ---------------------------------------

MULTI = ["win_rate", "calls_made", "leads_created", "email_open_rate", "won_revenue",
         "sales_cycle_length", "mql_to_sql_rate"]


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_multi_metric_query_matches_oracle(project, duck, src, grain):
    table = project.query(MULTI, connection=duck, grain=grain, by=["region"])
    check(table, expected(src, MULTI, grain, ["region"]))


def test_multi_metric_query_equals_single_metric_queries_joined(project, duck):
    keys = ["period", "region"]
    multi = project.query(MULTI, connection=duck, grain="month", by=["region"]).to_pandas()
    joined = None
    for metric in MULTI:
        one = project.query([metric], connection=duck, grain="month", by=["region"]).to_pandas()
        joined = one if joined is None else joined.merge(one, on=keys, how="outer")
    joined = joined.sort_values(keys, na_position="last").reset_index(drop=True)
    assert list(multi.columns) == list(joined.columns)
    pd.testing.assert_frame_equal(multi, joined, check_dtype=False, rtol=1e-9, atol=0)


def test_multi_metric_ungrouped(project, duck, src):
    names = ["opportunities_created", "follow_ups", "lead_conversion_rate", "average_deal_size"]
    table = project.query(names, connection=duck, grain="month")
    check(table, expected(src, names, "month"))


# --- start / end bounds ------------------------------------------------------------------------

BOUNDED = ["calls_made", "win_rate", "won_revenue", "sales_cycle_length", "leads_created",
           "mql_to_sql_rate", "open_pipeline"]


@pytest.mark.parametrize("metric", BOUNDED)
def test_start_end_widen_to_whole_months(project, duck, src, metric):
    table = project.query([metric], connection=duck, grain="month", start="2024-03-15", end="2024-08-02")
    assert table.column("period").to_pylist() == [date(2024, m, 1) for m in range(3, 9)]
    check(table, expected(src, [metric], "month", start="2024-03-15", end="2024-08-02"))


@pytest.mark.parametrize("metric", ["emails_sent", "win_rate", "average_deal_size"])
def test_start_end_widen_to_whole_quarters_grouped(project, duck, src, metric):
    opts = dict(grain="quarter", by=["region"], start="2024-05-20", end="2025-01-03")
    table = project.query([metric], connection=duck, **opts)
    assert sorted(set(table.column("period").to_pylist())) == [
        date(2024, 4, 1), date(2024, 7, 1), date(2024, 10, 1), date(2025, 1, 1)]
    check(table, expected(src, [metric], **opts))


@pytest.mark.parametrize("metric", ["deals_won", "email_open_rate"])
def test_range_past_the_data_is_filled(project, duck, src, metric):
    """The requested range, not the data, bounds the spine: months with no data get 0 / null."""
    opts = dict(grain="month", start="2025-11-10", end="2026-02-05")
    table = project.query([metric], connection=duck, **opts)
    assert table.column("period").to_pylist() == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    check(table, expected(src, [metric], **opts))


# --- where filters -----------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["win_rate", "calls_made", "leads_created", "email_open_rate",
                                    "sales_cycle_length", "pipeline_created"])
def test_where_region_equals_grouped_rows(project, duck, src, metric):
    where = ["region = 'EMEA'"]
    grouped = project.query([metric], connection=duck, grain="month", by=["region"]).to_pandas()
    emea = grouped[grouped["region"] == "EMEA"].reset_index(drop=True)
    filtered = project.query([metric], connection=duck, grain="month", by=["region"], where=where)
    pd.testing.assert_frame_equal(filtered.to_pandas(), emea, check_dtype=False, rtol=1e-9, atol=0)
    check(filtered, expected(src, [metric], "month", ["region"], where=is_emea))
    ungrouped = project.query([metric], connection=duck, grain="quarter", where=where)
    check(ungrouped, expected(src, [metric], "quarter", where=is_emea))


def test_where_on_other_dimension(project, duck, src):
    table = project.query(["opportunities_created", "won_revenue"], connection=duck, grain="quarter",
                          by=["product"], where=["segment = 'Enterprise'"])
    want = expected(src, ["opportunities_created", "won_revenue"], "quarter", ["product"],
                    where=lambda d: d["segment"] == "Enterprise")
    check(table, want)


# --- week and day grains -----------------------------------------------------------------------

@pytest.mark.parametrize("by", [[], ["region"]])
def test_week_grain_weeks_start_monday(project, duck, src, by):
    table = project.query(["calls_made"], connection=duck, grain="week", by=by)
    periods = table.column("period").to_pylist()
    assert all(p.weekday() == 0 for p in periods)
    check(table, expected(src, ["calls_made"], "week", by))


def test_week_grain_bounded(project, duck, src):
    opts = dict(grain="week", start="2024-03-06", end="2024-04-20")  # a Wednesday .. a Saturday
    table = project.query(["meetings_scheduled"], connection=duck, **opts)
    assert table.column("period").to_pylist()[0] == date(2024, 3, 4)
    assert table.column("period").to_pylist()[-1] == date(2024, 4, 15)
    check(table, expected(src, ["meetings_scheduled"], **opts))


@pytest.mark.parametrize("metric", ["leads_created", "email_open_rate", "meeting_attendance_rate"])
def test_day_grain_short_range(project, duck, src, metric):
    opts = dict(grain="day", start="2024-02-01", end="2024-02-18")
    table = project.query([metric], connection=duck, **opts)
    assert table.column("period").to_pylist() == [date(2024, 2, d) for d in range(1, 19)]
    check(table, expected(src, [metric], **opts))
