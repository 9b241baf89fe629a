"""Oracle tests of the outreach and pipeline-stage KPIs (metrics/outreach.yml and
metrics/pipeline_stages.yml, issue 18) against pandas, on the bundled sample.

The new tables (examples/gen_outreach.py) are read straight from the Parquet files and
joined with pandas as each source's meaning says, never from the sources' SQL: a reply's
rep and company, a touch's first reply, a lead's handoff, opportunity stages and win, the
touches of each closed deal by kind, a customer's first touch and first purchase. Each KPI
is then a form of tests/support/oracle_forms.py (the same helpers as the rest of the
catalog's oracles). Every period of the data is compared, ungrouped and grouped.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from support import DATA_DIR, PROJECT_DIR, ROOT
from support.oracle_forms import NAN, Balance, Entity, Formula, Share, Simple, build_expected, cases, div
from support.oracle_forms import mismatches as _mismatches
from support.oracle_kpis import ORACLES, count, days, distinct, enrich, everything, has, mean, ratio, stat

NEW_FILES = ("outreach.yml", "pipeline_stages.yml")
NEW_TABLES = ("replies", "lead_handoffs", "opportunity_stages", "referrals", "deal_touches",
              "lifecycle_stages")
CODE = {"positive": 2, "neutral": 1, "negative": 0}


def new_metrics() -> list[str]:
    """The metrics the two files define, read from the YAML (not from the engine)."""
    names = []
    for name in NEW_FILES:
        names += [m["name"] for m in yaml.safe_load((PROJECT_DIR / name).read_text())["metrics"]]
    return names


# --- the sources, joined with pandas ------------------------------------------------------------

def _with(d: pd.DataFrame, dims: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    """A many-to-one left join that must not multiply rows."""
    out = d.merge(dims.rename(columns={right: "_k"}).astype({"_k": "float64"}),
                  left_on=d[left].astype("float64"), right_on="_k", how="left",
                  validate="many_to_one").drop(columns=["_k", "key_0"], errors="ignore")
    assert len(out) == len(d)
    return out


def outreach_sources(frames) -> dict[str, pd.DataFrame]:
    base = enrich(frames)
    reps = frames["reps"][["rep_id", "rep_name", "region", "team"]].rename(columns={"rep_name": "rep"})
    accounts = frames["accounts"][["account_id", "segment", "industry", "country"]]
    opps, acts, leads = frames["opportunities"], frames["activities"], frames["leads"]
    replies = frames["replies"].assign(prospect=lambda d: d["lead_id"])
    replies = _with(_with(replies, reps, "rep_id", "rep_id"), accounts, "account_id", "account_id")

    first_reply = frames["replies"].groupby("activity_id")["replied_at"].min().rename("first_replied_at")
    touches = acts[acts["lead_id"].notna() & acts["activity_type"].isin(["call", "email"])]
    touches = touches.join(first_reply, on="activity_id").assign(touch_type=lambda d: d["activity_type"])

    handoffs = _with(frames["lead_handoffs"], reps, "sdr_rep_id", "rep_id")

    stages = frames["opportunity_stages"].set_index("opportunity_id")
    staged = opps.join(stages, on="opportunity_id")
    staged["won_at"] = staged["closed_at"].where(staged["stage"] == "won")
    staged = _with(_with(staged, reps, "owner_rep_id", "rep_id"), accounts, "account_id", "account_id")
    staged["lead_source"] = staged["lead_source"].fillna("unknown")

    by_lead = staged[staged["lead_id"].notna()].set_index("lead_id")[["stage1_at", "stage2_at", "won_at"]]
    journeys = leads.join(frames["lead_handoffs"].set_index("lead_id")[["passed_at", "accepted_at"]],
                          on="lead_id").join(by_lead, on="lead_id")
    journeys = _with(journeys, reps, "owner_rep_id", "rep_id")
    journeys["lead_source"] = journeys["lead_source"].fillna("unknown")

    lifecycle = frames["lifecycle_stages"].merge(base["leads"][["lead_id", "lead_source", "region", "team"]],
                                                 on="lead_id", how="left", validate="many_to_one")
    return {**base, "replies": replies, "outreach_touches": _with(touches, reps, "rep_id", "rep_id"),
            "lead_handoffs": handoffs, "lead_journeys": journeys, "staged_opportunities": staged,
            "referrals": _with(_with(frames["referrals"], reps, "rep_id", "rep_id"), accounts,
                               "account_id", "account_id"),
            "closed_deal_touches": closed_deal_touches(frames, staged),
            "customer_journeys": customer_journeys(frames, accounts), "lifecycle_stages": lifecycle,
            "reps_roster": reps}


def closed_deal_touches(frames, staged: pd.DataFrame) -> pd.DataFrame:
    """Every closed deal x kind of touch, with the number of its touches of that kind (0 if none)."""
    links = frames["deal_touches"].merge(frames["activities"][["activity_id", "activity_type"]],
                                         on="activity_id", how="left", validate="many_to_one")
    counted = links.groupby(["opportunity_id", "activity_type"]).size().rename("touches")
    closed = staged[staged["stage"].isin(["won", "lost"])]
    kinds = sorted(frames["activities"]["activity_type"].dropna().unique())
    grid = closed.merge(pd.DataFrame({"touch_type": kinds}), how="cross")
    grid = grid.join(counted, on=["opportunity_id", "touch_type"])
    return grid.assign(touches=grid["touches"].fillna(0), closed_product=grid["product"])


def customer_journeys(frames, accounts) -> pd.DataFrame:
    opps = frames["opportunities"]
    first = opps[opps["stage"] == "won"].groupby("account_id")["closed_at"].min().rename("first_purchase_at")
    links = frames["deal_touches"].merge(frames["activities"][["activity_id", "occurred_at"]], on="activity_id")
    links = links.merge(opps[["opportunity_id", "account_id"]], on="opportunity_id").join(first, on="account_id")
    links = links[links["occurred_at"] <= links["first_purchase_at"]]
    out = links.groupby("account_id").agg(first_touch_at=("occurred_at", "min"),
                                          first_purchase_at=("first_purchase_at", "first")).reset_index()
    return _with(out, accounts, "account_id", "account_id")


# --- the KPIs -----------------------------------------------------------------------------------

def latest_code(d: pd.DataFrame) -> float:
    """The sentiment code of the latest reply (to the second; at a tie, the highest code)."""
    if d.empty:
        return NAN
    second = d["replied_at"].dt.floor("s")
    code = d["sentiment"].map(CODE)
    last = second.max()
    return float(code[second == last].max())


def business_hours(start: pd.Series, end: pd.Series) -> pd.Series:
    """Hours Monday-Friday 9:00-17:00 between two times: the first and last days' parts in
    business hours, and 8 hours per working day strictly between them (numpy's busday_count)."""
    def part(t: pd.Series, frm: pd.Series, to: pd.Series) -> np.ndarray:
        weekday = t.dt.day_of_week.to_numpy() < 5
        lo = np.clip(frm.to_numpy(), 9 * 3600, 17 * 3600)
        hi = np.clip(to.to_numpy(), 9 * 3600, 17 * 3600)
        return np.where(weekday, np.maximum(hi - lo, 0), 0)
    sec = lambda t: (t - t.dt.normalize()).dt.total_seconds()  # noqa: E731
    s_day, e_day = start.dt.normalize(), end.dt.normalize()
    same = (s_day == e_day).to_numpy()
    day = pd.Series(86400.0, index=start.index)
    first = np.where(same, part(start, sec(start), sec(end)), part(start, sec(start), day))
    last = np.where(same, 0, part(end, day * 0, sec(end)))
    between = np.busday_count((s_day + pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]"),
                              e_day.to_numpy().astype("datetime64[D]"))
    between = np.where(same, 0, np.maximum(between, 0))
    return pd.Series((first + last + between * 8 * 3600) / 3600, index=start.index)


class RosterEntity(Entity):
    """An entity aggregate whose population is the reps roster: every rep, in its own
    region and team, in every period."""

    def population(self, src, ctx) -> set:
        roster = src["reps_roster"]
        return set(roster[[*ctx.by, self.entity]].itertuples(index=False, name=None))


def conversion(source, start, end) -> Simple:
    """No window: the rows started in the period whose end is not empty."""
    return ratio(source, start, has(start), has(end))


def per_deal(stage: str) -> Simple:
    parts = {"num": lambda d: float(d["touches"].sum()), "den": lambda d: float(d["opportunity_id"].nunique())}
    return Simple("closed_deal_touches", "closed_at", lambda d: d["stage"] == stage, parts,
                  lambda p: div(p["num"], p["den"]))


R, OT, LH, LJ, SO = "replies", "outreach_touches", "lead_handoffs", "lead_journeys", "staged_opportunities"
N: dict = {}
N["replies_received"] = count(R, "replied_at")
N["reply_rate"] = ratio(OT, "occurred_at", everything, has("first_replied_at"), min_denominator=20)
N["prospect_latest_sentiment"] = Simple(R, "replied_at", everything, {"v": latest_code}, lambda p: p["v"],
                                        additive=False)
N["positive_reply_rate"] = Entity(N["prospect_latest_sentiment"], "prospect", "share", lambda v: v == 2)
N["negative_reply_rate"] = Entity(N["prospect_latest_sentiment"], "prospect", "share", lambda v: v == 0)
N["companies_responded"] = distinct(R, "replied_at", everything, "account_id")
N["meeting_acceptance_rate"] = ratio(R, "replied_at", everything, has("meeting_booked_at"), min_denominator=10)
N["leads_passed_to_aes"] = count(LH, "passed_at")
N["sales_accepted_leads"] = count(LH, "accepted_at")
N["mql_to_sal_rate"] = conversion(LJ, "mql_at", "accepted_at")
N["inbound_response_business_hours"] = stat(
    "leads", "created_at", lambda d: (d["lead_source"] == "inbound") & d["first_response_at"].notna(),
    lambda d: business_hours(d["created_at"], d["first_response_at"]), mean)
N["activities_logged"] = count("activities", "occurred_at")
N["activities_per_rep"] = RosterEntity(N["activities_logged"], "rep", "avg")
N["opportunities_per_rep"] = RosterEntity(ORACLES["opportunities_created"], "rep", "avg")
N["referrals_sent"] = count("referrals", "sent_at")
N["stage1_opportunities"] = count(SO, "stage1_at")
N["stage2_opportunities"] = count(SO, "stage2_at")
N["lead_to_stage1_rate"] = conversion(LJ, "created_at", "stage1_at")
N["stage1_to_stage2_rate"] = conversion(SO, "stage1_at", "stage2_at")
N["stage2_to_customer_rate"] = conversion(SO, "stage2_at", "won_at")
N["sql_to_customer_rate"] = conversion(LJ, "sql_at", "won_at")
N["mql_to_customer_rate"] = conversion(LJ, "mql_at", "won_at")
N["deals_lost"] = count("opportunities", "closed_at", lambda d: d["stage"] == "lost")
N["win_loss_ratio"] = Formula(div, ORACLES["deals_won"], N["deals_lost"])
N["closing_ratio"] = conversion(SO, "created_at", "won_at")
N["touches_per_won_deal"] = per_deal("won")
N["touches_per_lost_deal"] = per_deal("lost")
N["customer_lifecycle_days"] = stat("customer_journeys", "first_purchase_at", everything,
                                    lambda d: days(d, "first_touch_at", "first_purchase_at"), mean)
N["leads_in_lifecycle_stage"] = Balance("lifecycle_stages", "entered_at", "exited_at", "end",
                                        lambda d: float(len(d)))
N["lifecycle_stage_share"] = Share(N["leads_in_lifecycle_stage"], ("lifecycle_stage",))
NEW = dict(sorted(N.items()))

# The dimensions each KPI is tested grouped by (one or two of those it allows).
DIMS = {
    "replies_received": ("sentiment", "region"), "reply_rate": ("touch_type", "team"),
    "prospect_latest_sentiment": ("region",), "positive_reply_rate": ("region", "segment"),
    "negative_reply_rate": ("team",), "companies_responded": ("sentiment", "industry"),
    "meeting_acceptance_rate": ("sentiment", "region"), "leads_passed_to_aes": ("region",),
    "sales_accepted_leads": ("team",), "mql_to_sal_rate": ("lead_source", "region"),
    "inbound_response_business_hours": ("region",), "activities_logged": ("activity_type",),
    "activities_per_rep": ("region", "team"), "opportunities_per_rep": ("region",),
    "referrals_sent": ("region", "segment"), "stage1_opportunities": ("product", "region"),
    "stage2_opportunities": ("lead_source",), "lead_to_stage1_rate": ("lead_source",),
    "stage1_to_stage2_rate": ("product", "segment"), "stage2_to_customer_rate": ("region",),
    "sql_to_customer_rate": ("lead_source",), "mql_to_customer_rate": ("region",),
    "deals_lost": ("region",), "win_loss_ratio": ("region", "product"),
    "closing_ratio": ("deal_type",), "touches_per_won_deal": ("touch_type", "region"),
    "touches_per_lost_deal": ("touch_type", "closed_product"),
    "customer_lifecycle_days": ("segment",), "leads_in_lifecycle_stage": ("lifecycle_stage", "region"),
    "lifecycle_stage_share": ("lifecycle_stage",),
}
CONVERSIONS = ["lead_to_stage1_rate", "stage1_to_stage2_rate", "stage2_to_customer_rate",
               "sql_to_customer_rate", "mql_to_customer_rate", "closing_ratio", "mql_to_sal_rate"]
NEEDS_BY = {"lifecycle_stage_share"}


@pytest.fixture(scope="session")
def src(frames):
    return outreach_sources(frames)


def expected(src, names, grain, by=(), start=None, end=None):
    return build_expected(NEW, src, names, grain, by, start, end)


def check(table, want):
    keys = [c for c in want.columns if c not in NEW]
    problems = _mismatches(table, want, keys)
    assert not problems, "engine differs from the pandas oracle:\n" + "\n".join(problems)


def test_every_new_metric_has_an_oracle_and_dimensions(project):
    assert set(new_metrics()) == set(NEW) == set(DIMS)
    assert set(NEW) <= set(project.metrics)


@pytest.mark.parametrize("metric", sorted(NEW))
def test_tested_dimensions_are_declared(project, metric):
    declared = project.metrics[metric].dimensions
    if declared is not None:
        assert set(DIMS[metric]) <= set(declared)


@pytest.mark.parametrize("metric, grain, by", list(cases(NEW, lambda m: ("week", "month", "quarter") if m in CONVERSIONS else ("month",), DIMS, NEEDS_BY)))
def test_metric_matches_oracle(project, duck, src, metric, grain, by):
    table = project.query([metric], connection=duck, grain=grain, by=list(by))
    check(table, expected(src, [metric], grain, by))


@pytest.mark.parametrize("metric", ["leads_in_lifecycle_stage", "lifecycle_stage_share",
                                    "activities_per_rep", "positive_reply_rate"])
def test_from_a_start_inside_the_data(project, duck, src, metric):
    """Balances count leads that entered a stage before the range; entity values do not
    depend on the range."""
    by = ["lifecycle_stage"] if metric in NEEDS_BY else []
    table = project.query([metric], connection=duck, grain="quarter", by=by, start="2025-01-01")
    check(table, expected(src, [metric], "quarter", by, start="2025-01-01"))


def test_all_new_kpis_in_one_query(project, duck, src):
    names = [n for n in NEW if n not in NEEDS_BY]
    table = project.query(names, connection=duck, grain="quarter")
    check(table, expected(src, names, "quarter"))


# --- what the definitions mean, on the sample -----------------------------------------------

def test_sentiment_per_prospect_differs_from_per_reply(src):
    """The per-prospect rate is not the share of positive replies: prospects who reply
    twice are counted once, by their last word."""
    want = expected(src, ["positive_reply_rate"], "quarter")
    replies = src["replies"]
    per_reply = replies.groupby(replies["replied_at"].dt.to_period("Q"))["sentiment"].apply(
        lambda s: (s == "positive").mean())
    assert not np.allclose(want["positive_reply_rate"].to_numpy(), per_reply.to_numpy())
    assert replies.groupby("lead_id").size().max() > 1


def test_business_hours_are_fewer_than_elapsed_hours(src):
    leads = src["leads"]
    inbound = leads[(leads["lead_source"] == "inbound") & leads["first_response_at"].notna()]
    business = business_hours(inbound["created_at"], inbound["first_response_at"])
    elapsed = (inbound["first_response_at"] - inbound["created_at"]).dt.total_seconds() / 3600
    assert (business <= elapsed + 1e-9).all() and business.mean() < elapsed.mean() / 2


def test_lifecycle_shares_add_up_to_one(project, duck):
    table = project.query(["lifecycle_stage_share"], connection=duck, grain="month",
                          by=["lifecycle_stage"]).to_pandas()
    sums = table.groupby("period")["lifecycle_stage_share"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)


# --- the generated tables --------------------------------------------------------------------

def test_generated_tables_are_consistent(frames):
    leads, opps = frames["leads"].set_index("lead_id"), frames["opportunities"].set_index("opportunity_id")
    hand = frames["lead_handoffs"].join(leads, on="lead_id")
    assert (hand["passed_at"] >= hand["mql_at"]).all()
    assert (hand["accepted_at"].isna() | (hand["accepted_at"] >= hand["passed_at"])).all()
    assert not (hand["accepted_at"] > hand["sql_at"]).any()
    assert set(leads.index[leads["sql_at"].notna()]) <= set(hand.loc[hand["accepted_at"].notna(), "lead_id"])
    stages = frames["opportunity_stages"].join(opps, on="opportunity_id")
    assert not (stages["stage2_at"].notna() & stages["stage1_at"].isna()).any()
    assert not (stages["stage1_at"] < stages["created_at"]).any()
    assert not (stages["stage2_at"] > stages["closed_at"]).any()
    assert stages.loc[stages["stage"] == "won", "stage2_at"].notna().all()
    life = frames["lifecycle_stages"].sort_values(["lead_id", "entered_at"])
    nxt = life.groupby("lead_id")["entered_at"].shift(-1)
    assert ((life["exited_at"] == nxt) | (life["exited_at"].isna() & nxt.isna())).all()
    assert life.groupby("lead_id").size().index.equals(leads.index.sort_values())
    touched = frames["replies"].merge(frames["activities"][["activity_id", "occurred_at", "lead_id"]],
                                      on="activity_id", suffixes=("", "_touch"))
    assert (touched["replied_at"] > touched["occurred_at"]).all()
    assert (touched["lead_id"] == touched["lead_id_touch"]).all()
    assert frames["replies"].groupby("lead_id")["account_id"].nunique().max() == 1


def test_the_generator_rewrites_the_bundled_tables_byte_for_byte(tmp_path):
    """gen_outreach.write, from the bundled inputs alone, gives the bundled files again."""
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "examples"))
    try:
        generate, gen_outreach = importlib.import_module("generate"), importlib.import_module("gen_outreach")
    finally:
        sys.path.remove(str(ROOT / "examples"))
    for name in ("reps", "accounts", "leads", "opportunities", "activities"):
        shutil.copy(DATA_DIR / f"{name}.parquet", tmp_path)
    cal = generate.Calendar(generate.date(2024, 1, 1), 24)
    rows = gen_outreach.write(Path(tmp_path), cal, generate.derived_rng(7, 10))
    assert set(rows) == set(NEW_TABLES)
    for name in NEW_TABLES:
        assert (tmp_path / f"{name}.parquet").read_bytes() == (DATA_DIR / f"{name}.parquet").read_bytes(), name
