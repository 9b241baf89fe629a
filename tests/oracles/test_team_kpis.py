"""Oracle tests for the team, account and new-business KPIs (metrics/team.yml, business.yml).

Each KPI, as the engine computes it on DuckDB, equals a pandas computation from the Parquet
files written from its description, with the helpers of tests/support/oracle_kpis.py and the
forms of tests/support/oracle_forms.py: every period and every group, at month grain and the
grains where the KPI is natural. Nothing here reads the engine's SQL: a source written as SQL
in the catalog (won_deals, sdr_deals) is rebuilt with pandas (each account's first win, the
deals SDRs sourced), and the two tricks of the YAML (the 12-month test written with days
between month starts, the rolling window written as a balance) are computed plainly here.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from support.oracle_forms import (NAN, Balance, Compare, Form, Formula, Scan, Simple, Snapshot,
                                  _groups, _normal, build_expected, div, mismatches)
from support.oracle_kpis import (ORACLES, column, count, distinct, enrich, everything, mean,
                                 stat, total)

# --- the sources, joined to their dimensions ---------------------------------------------------

DATES = {"employees": ["hired_at", "left_at"], "headcount": ["snapshot_date", "hired_at"],
         "rep_compensation": ["month_start"], "competitor_prices": ["price_date"]}


def _dated(frames):
    out = {}
    for name, cols in DATES.items():
        d = frames[name].copy()
        for c in cols:
            d[c] = pd.to_datetime(d[c])
        out[name] = d
    return out


def _join(d, right, left_on, right_on):
    joined = d.merge(right.rename(columns={right_on: "_key"}), left_on=left_on, right_on="_key",
                     how="left", validate="many_to_one").drop(columns="_key")
    assert len(joined) == len(d)
    return joined


def team_sources(frames) -> dict[str, pd.DataFrame]:
    src = dict(enrich(frames))
    dated = _dated(frames)
    staff = dated["employees"][["employee_id", "employee_name", "role", "team", "region"]].rename(
        columns={"employee_name": "rep", "role": "staff_role"})
    reps = frames["reps"][["rep_id", "rep_name", "region", "team"]].rename(columns={"rep_name": "rep"})
    accounts = frames["accounts"][["account_id", "segment", "industry", "country"]]

    src["employees"] = dated["employees"]
    src["headcount"] = _join(dated["headcount"], staff, "employee_id", "employee_id")
    src["rep_compensation"] = _join(dated["rep_compensation"], staff, "employee_id", "employee_id")
    src["employee_surveys"] = _join(frames["employee_surveys"], staff, "employee_id",
                                    "employee_id").rename(columns={"staff_role": "role"})
    talks = _join(frames["client_conversations"], accounts, "account_id", "account_id")
    src["client_conversations"] = _join(talks, reps, "rep_id", "rep_id").rename(
        columns={"channel": "conversation_channel"})
    src["product_sessions"] = _join(frames["product_sessions"], accounts, "account_id", "account_id")
    src["support_tickets"] = _join(frames["support_tickets"], accounts, "account_id", "account_id")

    # won_deals: each won deal numbered within its account by close time (then id)
    opps = src["opportunities"]
    won = opps[opps["stage"] == "won"].sort_values(["closed_at", "opportunity_id"])
    src["won_deals"] = won.assign(win_number=won.groupby("account_id").cumcount() + 1)
    # sdr_deals: the opportunities an SDR sourced, with the SDR's name, team and region
    sourced = frames["opportunity_sourcing"]
    deals = frames["opportunities"].merge(sourced, on="opportunity_id", how="inner")
    deals = _join(deals, staff, "sdr_employee_id", "employee_id")
    src["sdr_deals"] = _join(deals, accounts, "account_id", "account_id")

    places = frames["locations"].rename(columns={"location_name": "location",
                                                 "country": "location_country",
                                                 "region": "location_region"})
    places = places.assign(city=places["city"].fillna("online"),
                           location_country=places["location_country"].fillna("online"))
    src["sales_orders"] = _join(frames["sales_orders"], places, "location_id", "location_id")
    src["competitor_prices"] = dated["competitor_prices"]
    src["accounts"] = accounts
    return src


# --- forms the shared oracle has no class for --------------------------------------------------

class Rolling(Scan):
    """Rows whose time is in the N days before a moment: the first day of the next period
    (the N days up to the period's last day) - read straight off the dates."""

    def __init__(self, source, time, rows, days, measure):
        super().__init__(source, rows, [time])
        self.time, self.days, self.measure = time, days, measure

    def values(self, src, ctx, keys):
        d = self.frame(src, ctx)
        cells = {}
        for p in {k[0] for k in keys}:
            stop = (p + 1).start_time
            m = (d[self.time] >= stop - pd.Timedelta(days=self.days)) & (d[self.time] < stop)
            for key, g in _groups(d[m], ctx.by):
                cells[(p, *key)] = self.measure(g)
        empty = self.measure(d.iloc[0:0])
        return [cells.get(k, empty) for k in keys]


class Timeless(Form):
    """Rows without time: the same value in every period, per group of the dimensions."""

    def __init__(self, source, measure):
        self.source, self.measure = source, measure

    def seen(self, src, ctx):
        d = src[self.source].assign(**{c: _normal(src[self.source][c]) for c in ctx.by})
        return set(), set(d[list(ctx.by)].itertuples(index=False, name=None))

    def values(self, src, ctx, keys):
        d = src[self.source].assign(**{c: _normal(src[self.source][c]) for c in ctx.by})
        cells = {key: self.measure(g) for key, g in _groups(d, ctx.by)}
        return [cells.get(k[1:], 0.0) for k in keys]


def is_ae(d):
    return d["role"] == "AE"


def months_between(d):
    """Whole months from the hire's month to the snapshot's month."""
    hired, seen = d["hired_at"].dt.to_period("M"), d["snapshot_date"].dt.to_period("M")
    return (seen.dt.year - hired.dt.year) * 12 + seen.dt.month - hired.dt.month


def snapshot_of(rows, value=None):
    """A month-end snapshot measure: the count (or mean of ``value``) of the rows kept."""
    def measure(d):
        kept = d[rows(d)]
        if value is None:
            return float(len(kept))
        v = value(kept)
        return float(v.mean()) if len(v) else NAN
    return measure


def snapshot(source, time, rows, measure) -> Snapshot:
    """The last snapshot of each period among the rows the filters keep (they go to WHERE,
    so they decide the groups too)."""
    form = Snapshot(source, time, measure)
    form.rows = rows
    return form


def ratio_of_sums(source, time, rows, num, den, num_rows=everything) -> Simple:
    """sum(num where num_rows) / sum(den): additive parts, divided after aggregation."""
    parts = {"num": lambda d: float(d.loc[num_rows(d).fillna(False).astype(bool), num].sum()),
             "den": lambda d: float(d[den].sum())}
    return Simple(source, time, rows, parts, lambda p: div(p["num"], p["den"]))


# --- the KPIs -------------------------------------------------------------------------------

T: dict[str, Form] = {}
HC, PAY, WON, SDR, ORD = "headcount", "rep_compensation", "won_deals", "sdr_deals", "sales_orders"


def first_win(d):
    return d["win_number"] == 1


# business.yml
T["new_logo_revenue"] = total(WON, "closed_at", first_win, column("amount"))
T["new_logos"] = count(WON, "closed_at", first_win)
T["customers_at_start"] = Balance("first_wins", "closed_at", None, "start", lambda d: float(len(d)))
T["crm_accounts"] = Timeless("accounts", lambda d: float(len(d)))
T["customer_acquisition_rate"] = Formula(lambda n, a, c: div(n, a - c), T["new_logos"],
                                         T["crm_accounts"], T["customers_at_start"])
T["net_new_revenue"] = Formula(lambda n, e, co, ch: 12 * (n + e - co - ch), ORACLES["new_mrr"],
                               ORACLES["expansion_mrr"], ORACLES["contraction_mrr"],
                               ORACLES["churned_mrr"])
T["paying_accounts"] = snapshot("mrr_snapshots", "snapshot_date", lambda d: d["mrr"] > 0,
                                snapshot_of(everything))
T["average_revenue_per_account"] = Formula(div, ORACLES["mrr_reported"], T["paying_accounts"])
T["won_revenue_rolling_60d"] = Rolling("opportunities", "closed_at",
                                       lambda d: d["stage"] == "won", 60,
                                       lambda d: float(d["amount"].sum()))
T["ae_headcount"] = snapshot(HC, "snapshot_date", is_ae, snapshot_of(is_ae))
T["revenue_per_ae"] = Formula(div, ORACLES["won_revenue"], T["ae_headcount"])
T["ae_ote"] = total(PAY, "month_start", is_ae, column("ote"))
T["revenue_to_ote"] = Formula(div, ORACLES["won_revenue"], T["ae_ote"])
T["sdr_sourced_revenue"] = total(SDR, "closed_at", lambda d: d["stage"] == "won", column("amount"))
T["sdr_cost"] = total(PAY, "month_start", lambda d: d["role"] == "SDR", column("loaded_cost"))
T["sdr_return"] = Formula(div, T["sdr_sourced_revenue"], T["sdr_cost"])
T["sales_volume"] = total(ORD, "ordered_at", everything, column("units"))
T["order_revenue"] = total(ORD, "ordered_at", everything, column("revenue"))
T["online_sales_share"] = ratio_of_sums(ORD, "ordered_at", everything, "units", "units",
                                        lambda d: d["channel"] == "online")
T["average_selling_price"] = ratio_of_sums(ORD, "ordered_at", everything, "revenue", "units")
T["competitor_list_price"] = stat("competitor_prices", "price_date", everything,
                                  column("list_price"), mean)
T["price_vs_competitors"] = Formula(div, T["average_selling_price"], T["competitor_list_price"])

# team.yml
T["ae_departures"] = count("employees", "left_at", is_ae)
T["average_ae_tenure"] = snapshot(HC, "snapshot_date", is_ae, snapshot_of(
    is_ae, lambda d: (d["snapshot_date"] - d["hired_at"]).dt.days / 30.4375))
T["ae_retained_12m"] = snapshot(HC, "snapshot_date", lambda d: is_ae(d) & (months_between(d) >= 12),
                                snapshot_of(everything))
T["ae_headcount_year_ago"] = Compare(T["ae_headcount"], "previous_year", "previous")
T["ae_retention_12m"] = Formula(div, T["ae_retained_12m"], T["ae_headcount_year_ago"])
T["employee_satisfaction"] = stat("employee_surveys", "responded_at", everything, column("score"),
                                  mean)
T["client_conversations"] = count("client_conversations", "occurred_at")
T["clients_in_conversation"] = distinct("client_conversations", "occurred_at", everything,
                                        "account_id")
T["conversations_per_client"] = Formula(div, T["client_conversations"], T["paying_accounts"])
T["client_engagement_rate"] = Formula(div, T["clients_in_conversation"], T["paying_accounts"])
T["product_logins"] = count("product_sessions", "started_at")
T["active_users"] = distinct("product_sessions", "started_at", everything, "user_id")
T["active_companies"] = distinct("product_sessions", "started_at", everything, "account_id")
T["session_duration"] = stat("product_sessions", "started_at", everything,
                             lambda d: d["duration_seconds"] / 60.0, mean)
T["support_tickets"] = count("support_tickets", "opened_at")
T["tickets_per_user"] = Formula(div, T["support_tickets"], T["active_users"])
T["tickets_per_company"] = Formula(div, T["support_tickets"], T["active_companies"])

ALL = {**ORACLES, **T}

# The dimensions each KPI is tested grouped by (besides ungrouped).
DIMS = {
    "new_logo_revenue": ("segment", "rep"), "new_logos": ("lead_source", "industry"),
    "customers_at_start": ("segment",), "customer_acquisition_rate": ("segment", "country"),
    "net_new_revenue": ("segment", "product"), "paying_accounts": ("industry",),
    "average_revenue_per_account": ("segment",),
    "won_revenue_rolling_60d": ("region", "product"), "ae_headcount": ("team",),
    "revenue_per_ae": ("region", "team"), "ae_ote": ("rep", "region"),
    "revenue_to_ote": ("rep", "team"), "sdr_sourced_revenue": ("region", "rep"),
    "sdr_cost": ("region",), "sdr_return": ("region", "team"),
    "sales_volume": ("location", "channel", "location_country"), "order_revenue": ("city",),
    "online_sales_share": ("location_region", "product"),
    "average_selling_price": ("product", "channel"), "competitor_list_price": ("competitor",),
    "price_vs_competitors": ("product",), "ae_departures": ("region",),
    "average_ae_tenure": ("team",), "ae_retained_12m": ("region",),
    "ae_headcount_year_ago": ("region",), "ae_retention_12m": ("region", "team"),
    "employee_satisfaction": ("role", "team"),
    "client_conversations": ("conversation_channel", "rep"),
    "clients_in_conversation": ("segment",), "conversations_per_client": ("segment",),
    "client_engagement_rate": ("industry",), "product_logins": ("segment",),
    "active_users": ("country",), "active_companies": ("segment",),
    "session_duration": ("industry",), "support_tickets": ("priority", "segment"),
    "tickets_per_user": ("segment",), "tickets_per_company": ("segment", "country"),
}
GRAINS = {"sdr_return": ("quarter", "year", "month"),
          "employee_satisfaction": ("quarter", "month")}
# Windows and balances whose first rows read data from before the start: also from inside it.
LOOKBACK = {"won_revenue_rolling_60d", "customers_at_start", "customer_acquisition_rate",
            "ae_headcount_year_ago", "ae_retention_12m"}
METRICS = sorted(T.keys() - {"crm_accounts"})  # crm_accounts alone has no periods: below


@pytest.fixture(scope="session")
def src(frames):
    out = team_sources(frames)
    out["first_wins"] = out["won_deals"][out["won_deals"]["win_number"] == 1]
    return out


def check(table, want, by):
    problems = mismatches(table, want, ["period", *by])
    assert not problems, "engine differs from the pandas oracle:\n" + "\n".join(problems)


def _cases():
    for metric in METRICS:
        for grain in GRAINS.get(metric, ("month", "quarter")):
            for by in ((), *((d,) for d in DIMS[metric])):
                for start in ((None, "2025-01-01") if metric in LOOKBACK else (None,)):
                    yield pytest.param(metric, grain, by, start,
                                       id=f"{metric}-{grain}-{'-'.join(by) or 'all'}"
                                       f"{'-from-' + start if start else ''}")


def test_every_new_kpi_has_an_oracle(project):
    catalog = project.catalog
    files = {name: str(m.model.spans.value(("name",)).path) for name, m in catalog.metrics.items()}
    mine = {n for n, f in files.items() if f.endswith(("team.yml", "business.yml"))}
    assert mine == set(T), mine ^ set(T)
    assert set(METRICS) <= set(DIMS)


@pytest.mark.parametrize("metric, grain, by, start", list(_cases()))
def test_kpi_matches_oracle(project, duck, src, metric, grain, by, start):
    table = project.query([metric], connection=duck, grain=grain, by=list(by), start=start)
    check(table, build_expected(ALL, src, [metric], grain, by, start=start), by)


@pytest.mark.parametrize("grain", ["quarter", "year"])
@pytest.mark.parametrize("by", [(), ("team",), ("region",)])
def test_reps_at_quota_per_team_and_for_the_organisation(project, duck, src, grain, by):
    """The existing reps_at_quota, per team and for the whole organisation: a share of the
    reps of the group (with a quota) whose won revenue reached it."""
    table = project.query(["reps_at_quota", "quota_attainment"], connection=duck, grain=grain,
                          by=list(by))
    check(table, build_expected(ALL, src, ["reps_at_quota", "quota_attainment"], grain, by), by)


def test_organisation_share_is_not_the_mean_of_team_shares(project, duck):
    org = project.query(["reps_at_quota"], connection=duck, grain="year").to_pandas()
    teams = project.query(["reps_at_quota"], connection=duck, grain="year",
                          by=["team"]).to_pandas()
    means = teams.groupby("period")["reps_at_quota"].mean()
    assert any(not math.isclose(a, b) for a, b in zip(org["reps_at_quota"], means))


def test_crm_accounts_is_one_row_without_a_range(project, duck, src):
    table = project.query(["crm_accounts"], connection=duck, grain="month").to_pandas()
    assert list(table["crm_accounts"]) == [len(src["accounts"])]


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_net_new_revenue_is_twelve_times_net_new_mrr(project, duck, grain):
    """Two routes: the formula over its four parts, and the plain sum of every MRR change."""
    frame = project.query(["net_new_revenue", "net_new_mrr"], connection=duck,
                          grain=grain).to_pandas()
    for a, b in zip(frame["net_new_revenue"], frame["net_new_mrr"]):
        assert math.isclose(a, 12 * b, rel_tol=1e-9, abs_tol=1e-6)


def test_rolling_60_days_at_day_grain_is_the_trailing_60_days(project, duck, src):
    """At day grain the rolling window is the trailing window of 60 daily values."""
    opts = dict(grain="day", start="2025-03-01", end="2025-04-30")
    frame = project.query(["won_revenue_rolling_60d"], connection=duck, **opts).to_pandas()
    won = src["opportunities"][src["opportunities"]["stage"] == "won"]
    daily = won.groupby(won["closed_at"].dt.normalize())["amount"].sum()
    days = pd.date_range("2024-12-01", "2025-04-30")
    trailing = daily.reindex(days, fill_value=0.0).rolling(60).sum()
    for row in frame.itertuples(index=False):
        assert math.isclose(row.won_revenue_rolling_60d, trailing[pd.Timestamp(row.period)],
                            rel_tol=1e-9, abs_tol=1e-6), row


def test_retention_has_no_value_before_a_year_of_snapshots(project, duck):
    frame = project.query(["ae_retention_12m"], connection=duck, grain="month").to_pandas()
    assert frame[frame["period"] < date(2025, 1, 1)]["ae_retention_12m"].isna().all()
    later = frame[frame["period"] >= date(2025, 1, 1)]["ae_retention_12m"]
    assert later.notna().all() and ((later > 0.5) & (later <= 1)).all()


def test_tickets_per_user_and_per_company_differ_by_the_users_per_company(project, duck):
    frame = project.query(["tickets_per_user", "tickets_per_company", "active_users",
                           "active_companies"], connection=duck, grain="quarter").to_pandas()
    for row in frame.itertuples(index=False):
        users_per_company = row.active_users / row.active_companies
        assert math.isclose(row.tickets_per_company, row.tickets_per_user * users_per_company,
                            rel_tol=1e-9)
        assert users_per_company > 1


def test_the_generated_tables_agree_with_each_other(src, frames):
    """The generator's own promises: pay adds up in cents, headcount follows the employment
    dates, every SDR-sourced deal is outbound and was sourced by an SDR employed then."""
    pay = src["rep_compensation"]
    assert ((pay["base_pay"] + pay["variable_target"] - pay["ote"]).abs() < 1e-6).all()
    emp = src["employees"].set_index("employee_id")
    hc = src["headcount"]
    left = emp.loc[hc["employee_id"], "left_at"].to_numpy()
    assert (emp.loc[hc["employee_id"], "hired_at"].to_numpy() <= hc["snapshot_date"].to_numpy()).all()
    assert (pd.isna(left) | (left > hc["snapshot_date"].to_numpy())).all()
    deals = src["sdr_deals"]
    assert (deals["lead_source"] == "outbound").all() and (deals["staff_role"] == "SDR").all()
    sdr = emp.loc[deals["sdr_employee_id"]]
    assert (sdr["hired_at"].to_numpy() <= deals["created_at"].to_numpy()).all()
    assert (pd.isna(sdr["left_at"].to_numpy()) | (sdr["left_at"].to_numpy() > deals["created_at"].to_numpy())).all()
    roster = emp[emp["rep_id"].notna()]
    assert set(roster["rep_id"].astype(int)) == set(frames["reps"]["rep_id"])


TEAM_TABLES = ("employees", "headcount", "rep_compensation", "employee_surveys",
               "opportunity_sourcing", "locations", "sales_orders", "competitor_prices",
               "client_conversations", "product_sessions", "support_tickets")


def test_the_generator_rewrites_the_team_tables_byte_for_byte(tmp_path):
    """gen_team.write, from the bundled inputs alone (reps, accounts, opportunities,
    subscriptions) and the same seed, gives the bundled files again: the generator is
    deterministic and the committed sample is what it writes."""
    import importlib
    import shutil
    import sys

    from support import DATA_DIR, ROOT

    sys.path.insert(0, str(ROOT / "examples"))
    try:
        generate, gen_team = importlib.import_module("generate"), importlib.import_module("gen_team")
    finally:
        sys.path.remove(str(ROOT / "examples"))
    for name in ("reps", "accounts", "opportunities", "subscriptions"):
        shutil.copy(DATA_DIR / f"{name}.parquet", tmp_path)
    cal = generate.Calendar(generate.date(2024, 1, 1), 24)
    rows = gen_team.write(tmp_path, cal, generate.derived_rng(7, 20))
    assert set(rows) == set(TEAM_TABLES)
    for name in TEAM_TABLES:
        written = (tmp_path / f"{name}.parquet").read_bytes()
        assert written == (DATA_DIR / f"{name}.parquet").read_bytes(), name
