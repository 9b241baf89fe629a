"""Independent pandas oracle for the KPI catalog (written from the business meaning of each KPI).

Nothing here reads the engine or its SQL: the sample data is joined and aggregated with pandas,
and each metric form (tests/oracle_forms.py) is computed from its README meaning.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from .oracle_forms import (Share, 
    NAN,
    Balance,
    Compare,
    Cumulative,
    Entity,
    Form,
    Formula,
    Simple,
    Snapshot,
    build_expected,
    div,
)
from .oracle_forms import mismatches as _mismatches

GROSS_MARGIN = 0.78  # project.yml vars.gross_margin


def enrich(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each fact table with its dimensions: rep fields by rep id, account fields by account id."""
    reps = frames["reps"][["rep_id", "rep_name", "region", "team", "manager"]].rename(
        columns={"rep_name": "rep"})
    accounts = frames["accounts"][["account_id", "account_name", "segment", "industry", "country"]
                                  ].rename(columns={"account_name": "account"})

    def join(name, rep_key=None, account_key=None):
        d = frames[name]
        if rep_key:
            d = d.merge(reps.rename(columns={"rep_id": "_rep"}), left_on=rep_key, right_on="_rep",
                        how="left", validate="many_to_one").drop(columns="_rep")
        if account_key:
            acc = accounts.astype({"account_id": d[account_key].dtype})  # float where nullable
            d = d.merge(acc.rename(columns={"account_id": "_acc"}), left_on=account_key,
                        right_on="_acc", how="left", validate="many_to_one").drop(columns="_acc")
        assert len(d) == len(frames[name])  # many-to-one joins never multiply rows
        return d

    out = {
        "opportunities": join("opportunities", "owner_rep_id", "account_id"),
        "activities": join("activities", "rep_id", "account_id"),
        "leads": join("leads", "owner_rep_id"),
        "quotas": join("quotas", "rep_id"),
        "nps_responses": join("nps_responses", account_key="account_id"),
        "subscriptions": join("subscriptions", account_key="account_id"),
        "subscription_events": join("subscription_events", account_key="account_id"),
        "mrr_snapshots": join("mrr_snapshots", account_key="account_id"),
    }
    for name in ("opportunities", "leads"):
        out[name]["lead_source"] = out[name]["lead_source"].fillna("unknown")
    for name, col in (("quotas", "quarter_start"), ("mrr_snapshots", "snapshot_date")):
        out[name][col] = pd.to_datetime(out[name][col])  # plain dates (timezone: none)
    return out


# --- row predicates and per-group aggregates ---------------------------------------------------

def everything(d):
    return pd.Series(True, index=d.index)


def is_type(kind):
    return lambda d: d["activity_type"] == kind


def is_stage(*stages):
    return lambda d: d["stage"].isin(stages)


def is_true(column):
    return lambda d: d[column].map(lambda v: v is True or v == True)


def has(column):
    return lambda d: d[column].notna()


def both(a, b):
    return lambda d: a(d) & b(d)


def days(d, a, b):
    """date_diff('day', cast(a as date), cast(b as date)): calendar days, not 24-hour spans."""
    return (d[b].dt.normalize() - d[a].dt.normalize()) / pd.Timedelta(days=1)


def count(source, time, rows=everything) -> Simple:
    return Simple(source, time, rows, {"n": len}, lambda p: float(p["n"]))


def distinct(source, time, rows, name) -> Simple:
    """count(distinct name): an additive count, so no rows -> 0."""
    return Simple(source, time, rows, {"n": lambda d: float(d[name].nunique())},
                  lambda p: p["n"])


def total(source, time, rows, value: Callable[[pd.DataFrame], pd.Series]) -> Simple:
    """sum(...) with nulls skipped; no rows (or only nulls) -> 0."""
    return Simple(source, time, rows, {"s": lambda d: float(value(d).sum())}, lambda p: p["s"])


def ratio(source, time, rows, flag, min_denominator=1) -> Simple:
    """count(rows meeting ``flag``) / count(rows); denominator below min_denominator -> null."""
    parts = {"num": lambda d: float(flag(d).fillna(False).astype(bool).sum()), "den": len}
    return Simple(source, time, rows, parts,
                  lambda p: p["num"] / p["den"] if p["den"] >= max(min_denominator, 1) else NAN)


def stat(source, time, rows, value, how: Callable[[pd.Series], float]) -> Simple:
    """A non-additive aggregate (avg, median, percentile) of a row value; nulls skipped."""
    def one(d):
        s = value(d).dropna().astype("float64")
        return float(how(s)) if len(s) else NAN
    return Simple(source, time, rows, {"v": one}, lambda p: p["v"], additive=False)


def conversion(source, start, end, within_days) -> Simple:
    """Cohort by ``start``'s period: share of the cohort whose ``end`` came within N days."""
    def reached(d):
        return d[end].notna() & (d[end] <= d[start] + pd.Timedelta(days=within_days))
    return ratio(source, start, has(start), reached)


def column(name, sign=1.0):
    return lambda d: sign * d[name]


def mean(s):
    return s.mean()


def median(s):
    return s.median()  # continuous: the mean of the two middle values, as median() in SQL


def p90(s):
    return s.quantile(0.9, interpolation="linear")  # quantile_cont


def add_sum(d, col):
    return float(d[col].sum())


# --- the catalog -------------------------------------------------------------------------------

O: dict[str, Form] = {}
A, L, OP = "activities", "leads", "opportunities"
EV, SUBS = "subscription_events", "subscriptions"

# activity.yml, engagement.yml: activities by occurred_at
O["calls_made"] = count(A, "occurred_at", is_type("call"))
O["emails_sent"] = count(A, "occurred_at", is_type("email"))
O["meetings_scheduled"] = count(A, "occurred_at", is_type("meeting"))
O["follow_ups"] = count(A, "occurred_at", lambda d: d["is_follow_up"] == True)
O["email_open_rate"] = ratio(A, "occurred_at", is_type("email"), is_true("email_opened"))
O["click_through_rate"] = ratio(A, "occurred_at", is_type("email"), is_true("email_clicked"))
O["meeting_attendance_rate"] = ratio(A, "occurred_at", is_type("meeting"), is_true("meeting_attended"))

# conversion.yml
O["leads_created"] = count(L, "created_at")
O["lead_conversion_rate"] = ratio(L, "created_at", everything, has("converted_at"))
O["mql_to_sql_rate"] = ratio(L, "mql_at", everything, has("sql_at"))
O["opportunities_created"] = count(OP, "created_at")
O["win_rate"] = ratio(OP, "closed_at", is_stage("won", "lost"), lambda d: d["stage"] == "won",
                      min_denominator=5)

# funnel.yml: conversion within N days (cohort by the start), time between steps
O["lead_to_customer_90d"] = conversion(L, "created_at", "converted_at", 90)
O["lead_to_mql_30d"] = conversion(L, "created_at", "mql_at", 30)
O["mql_to_sql_30d"] = conversion(L, "mql_at", "sql_at", 30)
O["avg_days_lead_to_mql"] = stat(L, "created_at", has("mql_at"),
                                 lambda d: days(d, "created_at", "mql_at"), mean)
O["median_days_lead_to_mql"] = stat(L, "created_at", has("mql_at"),
                                    lambda d: days(d, "created_at", "mql_at"), median)
O["median_days_mql_to_sql"] = stat(L, "mql_at", has("sql_at"),
                                   lambda d: days(d, "mql_at", "sql_at"), median)
O["inbound_response_hours"] = stat(
    L, "created_at", both(lambda d: d["lead_source"] == "inbound", has("first_response_at")),
    lambda d: (d["first_response_at"] - d["created_at"]).dt.total_seconds() / 3600, mean)
O["leads_followed_up_rate"] = ratio(L, "created_at", everything, has("first_response_at"))

# revenue.yml: opportunities by closed_at unless created_at says so
O["deals_won"] = count(OP, "closed_at", is_stage("won"))
O["won_revenue"] = total(OP, "closed_at", is_stage("won"), column("amount"))
O["average_deal_size"] = Formula(div, O["won_revenue"], O["deals_won"])
O["revenue_share_by_region"] = Share(O["won_revenue"], ("region",))
O["sales_cycle_length"] = stat(OP, "closed_at", is_stage("won"),
                               lambda d: days(d, "created_at", "closed_at"), mean)
O["pipeline_created"] = total(OP, "created_at", everything, column("amount"))
O["p90_deal_size"] = stat(OP, "closed_at", is_stage("won"), column("amount"), p90)
O["accounts_won"] = distinct(OP, "closed_at", is_stage("won"), "account_id")
O["upsell_rate"] = ratio(OP, "closed_at", is_stage("won"), lambda d: d["deal_type"] == "expansion")

# pipeline.yml: balances from opportunity dates
O["open_pipeline"] = Balance(OP, "created_at", "closed_at", "end", lambda d: add_sum(d, "amount"))
O["open_pipeline_at_start"] = Balance(OP, "created_at", "closed_at", "start",
                                      lambda d: add_sum(d, "amount"))
O["open_opportunities"] = Balance(OP, "created_at", "closed_at", "end", lambda d: float(len(d)))
O["pipeline_lost"] = total(OP, "closed_at", is_stage("lost"), column("amount"))
O["quota"] = total("quotas", "quarter_start", everything, column("quota"))
O["pipeline_coverage"] = Formula(div, O["open_pipeline_at_start"], O["quota"])
O["pipeline_velocity"] = Formula(lambda n, w, s, c: div(n * w * s, c), O["opportunities_created"],
                                 O["win_rate"], O["average_deal_size"], O["sales_cycle_length"])

# reps.yml: two sources aligned on period and rep/team/region; per-entity aggregates
O["quota_attainment"] = Formula(div, O["won_revenue"], O["quota"])
O["reps_at_quota"] = Entity(O["quota_attainment"], "rep", "share", lambda v: v >= 1)
O["median_won_revenue_per_rep"] = Entity(O["won_revenue"], "rep", "median")
O["accounts_with_repeat_wins"] = Entity(O["deals_won"], "account", "count", lambda v: v > 1)

# customers.yml: NPS answers by responded_at
O["nps_promoters"] = ratio("nps_responses", "responded_at", everything, lambda d: d["score"] >= 9)
O["nps_detractors"] = ratio("nps_responses", "responded_at", everything, lambda d: d["score"] <= 6)
O["nps"] = Formula(lambda p, d: 100 * (p - d), O["nps_promoters"], O["nps_detractors"])

# subscriptions.yml
O["mrr"] = Balance(EV, "event_at", None, "end", lambda d: add_sum(d, "mrr_delta"))
O["mrr_at_start"] = Balance(EV, "event_at", None, "start", lambda d: add_sum(d, "mrr_delta"))
O["mrr_reported"] = Snapshot("mrr_snapshots", "snapshot_date", lambda d: add_sum(d, "mrr"))
O["net_new_mrr"] = total(EV, "event_at", everything, column("mrr_delta"))
for _kind, _sign in (("new", 1.0), ("expansion", 1.0), ("contraction", -1.0), ("churn", -1.0)):
    O[f"{_kind}_mrr" if _kind != "churn" else "churned_mrr"] = total(
        EV, "event_at", lambda d, k=_kind: d["event_type"] == k, column("mrr_delta", _sign))
O["active_subscriptions"] = Balance(SUBS, "started_at", "cancelled_at", "end", lambda d: float(len(d)))
O["active_subscriptions_at_start"] = Balance(SUBS, "started_at", "cancelled_at", "start",
                                             lambda d: float(len(d)))
O["subscriptions_cancelled"] = count(SUBS, "cancelled_at")
O["customer_churn_rate"] = Formula(div, O["subscriptions_cancelled"], O["active_subscriptions_at_start"])
O["revenue_churn_rate"] = Formula(lambda ch, co, s: div(ch + co, s),
                                  O["churned_mrr"], O["contraction_mrr"], O["mrr_at_start"])
O["net_revenue_retention"] = Formula(lambda s, e, co, ch: div(s + e - co - ch, s), O["mrr_at_start"],
                                     O["expansion_mrr"], O["contraction_mrr"], O["churned_mrr"])
O["customer_lifetime_value"] = Formula(lambda m, a, c: div(div(m, a) * GROSS_MARGIN, c),
                                       O["mrr"], O["active_subscriptions"], O["customer_churn_rate"])

# trends.yml: comparisons and windows over another metric's values
O["won_revenue_growth"] = Compare(O["won_revenue"], "previous_period", "percent")
O["won_revenue_yoy"] = Compare(O["won_revenue"], "previous_year", "percent")
O["won_revenue_ytd"] = Cumulative(O["won_revenue"], to_date="year")
O["won_revenue_qtd"] = Cumulative(O["won_revenue"], to_date="quarter")
O["win_rate_trailing_3"] = Cumulative(O["win_rate"], trailing=3)

ORACLES: dict[str, Form] = dict(sorted(O.items()))


def expected(src, names, grain: str, by=(), start=None, end=None, where=None) -> pd.DataFrame:
    """The full expected result: period spine x dimension values, one column per metric."""
    return build_expected(ORACLES, src, names, grain, by, start, end, where)


def mismatches(table, want: pd.DataFrame, limit: int = 10) -> list[str]:
    keys = [c for c in want.columns if c not in ORACLES]  # period and the dimensions
    return _mismatches(table, want, keys, limit)
