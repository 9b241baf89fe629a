"""Oracle tests: every catalog KPI, as computed by the engine on DuckDB, against pandas.

The expectations come from tests/oracle_kpis.py (the catalog) and tests/oracle_forms.py (one
pandas class per metric form), written from each KPI's business meaning and the README's
statement of each form: joins to reps/accounts by key, periods bucketed with pandas, a full
period x dimension spine with 0 for empty counts/sums and null for empty averages/ratios,
comparisons and windows reading data from before the requested start, balances counting rows
opened before the range.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from support import PROJECT_DIR
from support.oracle_forms import cases
from support.oracle_kpis import ORACLES, enrich, expected, mismatches

# The dimensions each metric is tested grouped by (one or two it allows). Together they cover
# lead_source, segment, activity_type, product, industry, country, deal_type, rep and team.
DIMS = {
    # activity.yml, engagement.yml
    "calls_made": ("region", "segment"),
    "emails_sent": ("region", "team"),
    "meetings_scheduled": ("region", "segment"),
    "follow_ups": ("region", "activity_type"),
    "email_open_rate": ("region", "segment"),
    "click_through_rate": ("region", "rep"),
    "meeting_attendance_rate": ("region", "segment"),
    # conversion.yml
    "leads_created": ("region", "lead_source"),
    "lead_conversion_rate": ("region", "lead_source"),
    "mql_to_sql_rate": ("region", "lead_source"),
    "opportunities_created": ("region", "product"),
    "win_rate": ("region", "lead_source", "rep"),      # rep: many groups under min_denominator
    # funnel.yml
    "lead_to_customer_90d": ("lead_source",),
    "lead_to_mql_30d": ("region",),
    "mql_to_sql_30d": ("team",),
    "avg_days_lead_to_mql": ("lead_source",),
    "median_days_lead_to_mql": ("region",),
    "median_days_mql_to_sql": ("lead_source",),
    "inbound_response_hours": ("team",),
    "leads_followed_up_rate": ("lead_source",),
    # revenue.yml
    "deals_won": ("region", "industry"),
    "won_revenue": ("region", "rep"),
    "average_deal_size": ("region", "rep"),
    "revenue_share_by_region": ("region",),
    "sales_cycle_length": ("region", "lead_source"),
    "pipeline_created": ("region", "segment", "rep"),  # rep-months whose amounts are all null
    "p90_deal_size": ("product",),
    "upsell_rate": ("country",),
    "accounts_won": ("region", "product"),
    # pipeline.yml
    "open_pipeline": ("region", "deal_type"),
    "open_pipeline_at_start": ("product",),
    "open_opportunities": ("lead_source",),
    "pipeline_lost": ("segment",),
    "quota": ("region", "rep"),
    "pipeline_coverage": ("region",),
    "pipeline_velocity": ("region",),
    # reps.yml
    "quota_attainment": ("rep", "region"),
    "reps_at_quota": ("region",),
    "median_won_revenue_per_rep": ("team",),
    "accounts_with_repeat_wins": ("segment",),
    # customers.yml
    "nps_promoters": ("segment",),
    "nps_detractors": ("industry",),
    "nps": ("segment",),
    # subscriptions.yml
    "mrr": ("product",),
    "mrr_at_start": ("segment",),
    "mrr_reported": ("segment",),
    "net_new_mrr": ("product",),
    "new_mrr": ("industry",),
    "expansion_mrr": ("segment",),
    "contraction_mrr": ("product",),
    "churned_mrr": ("country",),
    "active_subscriptions": ("product",),
    "active_subscriptions_at_start": ("segment",),
    "subscriptions_cancelled": ("product",),
    "customer_churn_rate": ("product",),
    "revenue_churn_rate": ("segment",),
    "net_revenue_retention": ("product",),
    "customer_lifetime_value": ("segment",),
    # trends.yml
    "won_revenue_growth": ("region",),
    "won_revenue_yoy": ("product",),
    "won_revenue_ytd": ("lead_source",),
    "won_revenue_qtd": ("region",),
    "win_rate_trailing_3": ("region", "rep"),  # rep: 3-month sums under min_denominator
}

QUARTER_ONLY = {"quota", "quota_attainment", "reps_at_quota", "pipeline_coverage"}  # quotas source
GRAINS = {**{m: ("quarter", "year") for m in QUARTER_ONLY}, "won_revenue_qtd": ("week", "month"),
          "accounts_with_repeat_wins": ("month", "quarter", "year")}  # year: its default grain

# Metrics whose first rows depend on data before the requested start: comparisons, windows,
# balances and formulas over balances. Tested from a start inside the data.
LOOKBACK = {
    **dict.fromkeys(["won_revenue_growth", "won_revenue_yoy", "win_rate_trailing_3",
                     "open_pipeline", "open_pipeline_at_start", "open_opportunities",
                     "mrr", "mrr_at_start", "active_subscriptions", "active_subscriptions_at_start",
                     "pipeline_coverage", "customer_churn_rate", "revenue_churn_rate",
                     "net_revenue_retention", "customer_lifetime_value"], "2025-01-01"),
    "won_revenue_ytd": "2025-05-01",   # May (Q2) accumulates Jan..Apr (Q1)
    "won_revenue_qtd": "2025-02-12",   # a Wednesday: its week, and February, accumulate from Jan 1
}
METRICS = sorted(ORACLES)
NEEDS_BY = {"revenue_share_by_region"}  # a share is across a dimension of the request


@pytest.fixture(scope="session")
def src(frames):
    return enrich(frames)


def is_emea(d):
    return d["region"] == "EMEA"


def check(table, want):
    problems = mismatches(table, want)
    assert not problems, "engine differs from the pandas oracle:\n" + "\n".join(problems)


def _checked_elsewhere() -> set[str]:
    """The KPIs of the catalog files that an oracle module of their own names, as "x.yml"
    (tests/oracles/test_*_kpis.py, which checks each of them against its own oracle)."""
    modules = " ".join(p.read_text() for p in Path(__file__).parent.glob("test_*_kpis.py"))
    return {m["name"] for f in PROJECT_DIR.glob("*.yml") if f'"{f.name}"' in modules
            for m in (yaml.safe_load(f.read_text()) or {}).get("metrics", [])}


def test_every_catalog_metric_has_an_oracle(project):
    assert set(project.metrics) - _checked_elsewhere() == set(ORACLES)
    assert set(project.metrics) - _checked_elsewhere() == set(DIMS)


@pytest.mark.parametrize("metric", METRICS)
def test_grouping_dimensions_are_declared(project, metric):
    declared = project.metrics[metric].dimensions
    if declared is not None:  # derived metrics take their inputs' dimensions (queried below)
        assert set(DIMS[metric]) <= set(declared)


@pytest.mark.parametrize("metric, grain, by", list(cases(METRICS, lambda m: GRAINS.get(m, ("month", "quarter")), DIMS, NEEDS_BY)))
def test_metric_matches_oracle(project, duck, src, metric, grain, by):
    start = LOOKBACK.get(metric)
    table = project.query([metric], connection=duck, grain=grain, by=list(by), start=start)
    check(table, expected(src, [metric], grain, by, start=start))


@pytest.mark.parametrize("metric", sorted(LOOKBACK))
def test_lookback_metric_over_the_whole_data(project, duck, src, metric):
    """From the data's first period: comparisons there have nothing to compare with."""
    grain = GRAINS.get(metric, ("month",))[0]
    check(project.query([metric], connection=duck, grain=grain), expected(src, [metric], grain))


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
    opps = src["opportunities"]
    closed = opps[opps["stage"].isin(["won", "lost"])]
    q1 = closed[closed["closed_at"] < "2024-04-01"]
    assert rate["win_rate"].iloc[0] == pytest.approx((q1["stage"] == "won").mean())
    by_rep = expected(src, ["win_rate"], "month", ["rep"])
    assert by_rep["win_rate"].isna().sum() > 0      # min_denominator: some rep-months are null

    # Balances, straight off the dates: open at the end of 2025 Q1 = created before April 1 and
    # not closed before it.
    cut = pd.Timestamp("2025-04-01")
    still_open = opps[(opps["created_at"] < cut) & ~(opps["closed_at"] < cut)]
    pipe = expected(src, ["open_pipeline", "open_opportunities"], "quarter", start="2025-01-01")
    assert pipe["open_pipeline"].iloc[0] == pytest.approx(still_open["amount"].sum())
    assert pipe["open_opportunities"].iloc[0] == len(still_open)

    # The README's sample output (rounded to dollars) agrees with the oracle.
    readme = expected(src, ["open_pipeline_at_start", "pipeline_created", "won_revenue",
                            "pipeline_lost", "open_pipeline", "won_revenue_growth",
                            "won_revenue_yoy", "won_revenue_ytd"], "quarter", start="2025-01-01")
    first = readme.iloc[0]
    assert round(first["open_pipeline_at_start"]) == 20_560_945
    assert round(first["pipeline_created"]) == 24_949_024
    assert round(first["won_revenue"]) == 5_641_283
    assert round(first["pipeline_lost"]) == 17_822_445
    assert round(first["open_pipeline"]) == 22_046_240
    assert round(first["won_revenue_growth"], 3) == 0.282
    assert round(first["won_revenue_yoy"], 3) == 4.782
    assert list(readme["won_revenue_ytd"].round()) == [5_641_283, 11_798_581, 18_172_569, 26_253_659]

    # Snapshots: the sum of the last month-end of the quarter, not of all three.
    snaps = src["mrr_snapshots"]
    q = expected(src, ["mrr_reported"], "quarter")
    last = snaps[snaps["snapshot_date"] == pd.Timestamp("2024-03-31")]["mrr"].sum()
    assert q["mrr_reported"].iloc[0] == pytest.approx(last)


# --- identities between metrics, each side computed by the engine --------------------------

@pytest.mark.parametrize("grain", ["month", "quarter"])
@pytest.mark.parametrize("by", [[], ["segment"]])
def test_mrr_from_events_equals_month_end_snapshots(project, duck, grain, by):
    """Two independent methods: the running total of MRR changes (a balance) and the last
    month-end snapshot of the period. Every period end is a month end, with a snapshot."""
    table = project.query(["mrr", "mrr_reported"], connection=duck, grain=grain, by=by).to_pandas()
    assert len(table) == (24 if grain == "month" else 8) * (3 if by else 1)  # 3 segments
    for row in table.itertuples():
        assert math.isclose(row.mrr, row.mrr_reported, rel_tol=1e-9, abs_tol=1e-6), row


PIPELINE = ["open_pipeline_at_start", "pipeline_created", "won_revenue", "pipeline_lost",
            "open_pipeline"]


@pytest.mark.parametrize("grain, by", [("quarter", []), ("quarter", ["region"]), ("quarter", ["rep"]),
                                       ("month", ["rep"])])
def test_pipeline_movement_identity(project, duck, src, grain, by):
    """Open at the start + created - won - lost = open at the end, per period.

    It holds because every opportunity with a closed_at is won or lost (and every won or lost
    one has a closed_at: won + lost is everything that closed), and because a null amount is
    skipped alike in the balances and in the flows. 16 opportunities have no amount; two
    rep-months have only such opportunities created, and their pipeline_created is 0 (a sum of
    no amounts), not null - were it null, the identity would be null there, not false."""
    opps = src["opportunities"]
    assert (opps["closed_at"].notna() == opps["stage"].isin(["won", "lost"])).all()
    assert opps["amount"].isna().sum() == 16
    created = opps.assign(month=opps["created_at"].dt.to_period("M"))
    only_null = created.groupby(["rep", "month"])["amount"].agg(lambda s: s.isna().all())
    assert only_null.sum() == 2

    table = project.query(PIPELINE, connection=duck, grain=grain, by=by, start="2024-01-01")
    frame = table.to_pandas()
    assert frame[PIPELINE].notna().all().all()
    moved = (frame["open_pipeline_at_start"] + frame["pipeline_created"] - frame["won_revenue"]
             - frame["pipeline_lost"])
    for got, want in zip(moved, frame["open_pipeline"]):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6)
    check(table, expected(src, PIPELINE, grain, by, start="2024-01-01"))


def test_pipeline_closes_the_next_period_where_it_opens(project, duck):
    table = project.query(["open_pipeline_at_start", "open_pipeline"], connection=duck,
                          grain="month", start="2024-01-01").to_pandas()
    assert table["open_pipeline_at_start"].iloc[0] == 0
    assert list(table["open_pipeline_at_start"].iloc[1:]) == pytest.approx(
        list(table["open_pipeline"].iloc[:-1]), rel=1e-12)


# --- several metrics, of different forms and sources, in one query -----------------------------

MULTI = ["win_rate", "calls_made", "leads_created", "email_open_rate", "won_revenue",
         "sales_cycle_length", "mql_to_sql_rate"]
MIXED = ["won_revenue", "won_revenue_growth", "won_revenue_yoy", "won_revenue_ytd",
         "win_rate_trailing_3", "open_pipeline", "pipeline_velocity", "median_won_revenue_per_rep",
         "lead_to_customer_90d", "p90_deal_size"]


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_multi_metric_query_matches_oracle(project, duck, src, grain):
    table = project.query(MULTI, connection=duck, grain=grain, by=["region"])
    check(table, expected(src, MULTI, grain, ["region"]))


@pytest.mark.parametrize("by", [[], ["region"]])
def test_mixed_forms_in_one_query(project, duck, src, by):
    table = project.query(MIXED, connection=duck, grain="month", by=by, start="2025-03-01")
    check(table, expected(src, MIXED, "month", by, start="2025-03-01"))


def test_subscription_metrics_in_one_query(project, duck, src):
    names = ["mrr", "mrr_at_start", "net_new_mrr", "customer_churn_rate", "net_revenue_retention",
             "customer_lifetime_value", "mrr_reported", "nps"]
    table = project.query(names, connection=duck, grain="quarter", by=["segment"], start="2024-07-01")
    check(table, expected(src, names, "quarter", ["segment"], start="2024-07-01"))


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
           "mql_to_sql_rate", "open_pipeline", "won_revenue_growth", "win_rate_trailing_3",
           "mrr", "lead_to_customer_90d"]


@pytest.mark.parametrize("metric", BOUNDED)
def test_start_end_widen_to_whole_months(project, duck, src, metric):
    table = project.query([metric], connection=duck, grain="month", start="2024-03-15", end="2024-08-02")
    assert table.column("period").to_pylist() == [date(2024, m, 1) for m in range(3, 9)]
    check(table, expected(src, [metric], "month", start="2024-03-15", end="2024-08-02"))


@pytest.mark.parametrize("metric", ["emails_sent", "win_rate", "average_deal_size", "won_revenue_ytd"])
def test_start_end_widen_to_whole_quarters_grouped(project, duck, src, metric):
    opts = dict(grain="quarter", by=["region"], start="2024-05-20", end="2025-01-03")
    table = project.query([metric], connection=duck, **opts)
    assert sorted(set(table.column("period").to_pylist())) == [
        date(2024, 4, 1), date(2024, 7, 1), date(2024, 10, 1), date(2025, 1, 1)]
    check(table, expected(src, [metric], **opts))


@pytest.mark.parametrize("metric", ["deals_won", "email_open_rate", "open_pipeline", "mrr",
                                    "won_revenue_growth"])
def test_range_past_the_data_is_filled(project, duck, src, metric):
    """The requested range, not the data, bounds the spine: months with no data get 0 / null
    (a balance keeps its last value: nothing opens or closes after the data)."""
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
