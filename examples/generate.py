"""Deterministic generator of a realistic B2B CRM sample dataset (Parquet).

Model
-----
* Time: every timestamp lies in [start, start + months). A daily intensity
  (mild growth x month factor with a July/August dip x weekend factor) drives
  when leads, opportunities and activities happen; times of day cluster around
  business hours.
* Dimensions: reps (uneven regions, a few teams per region, team-based quotas)
  and accounts (industry, segment, country, owner rep of the same region).
  Both grow sublinearly with the number of opportunities.
* Leads run through new -> mql -> sql -> converted with log-normal step delays;
  a step that would happen after the period end is not reached. Most leads get
  a first follow-up touch within hours; some never do.
* Every converted lead becomes an opportunity shortly after conversion, the
  rest are created directly on accounts. Sales cycles are log-normal per
  product (5-180 days), win odds depend on lead source, region and deal type,
  closes are pulled towards quarter ends (strongest in Q4), and deals that
  would close after the period end stay open at a stage matching progress.
* Activities: a first touch when an opportunity is created or a lead is first
  followed up, then further touches spread over the record's life.

Scale: the period is cut into time windows holding ~CHUNK opportunities each.
A window's records are generated together; rows are written once their time
column falls inside the current window and later rows are carried over, so
every file is sorted by time while memory stays bounded.
Internally, -1 (or NaN) marks a null value.
"""
from __future__ import annotations

import argparse
import calendar
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

US_SECOND, US_HOUR, US_DAY = 1_000_000, 3_600_000_000, 86_400_000_000
CHUNK, ROW_GROUP = 500_000, 1_000_000
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
REGION_SHARE = np.array([0.45, 0.30, 0.15, 0.10])
TEAMS = [  # (team, region, share of region's reps, quota range in k$)
    ("NA Enterprise", 0, 0.25, 320, 400), ("NA Mid-Market", 0, 0.35, 220, 300),
    ("NA SMB", 0, 0.40, 150, 200), ("EMEA Enterprise", 1, 0.30, 300, 380),
    ("EMEA Mid-Market", 1, 0.35, 200, 280), ("EMEA Commercial", 1, 0.35, 150, 210),
    ("APAC Enterprise", 2, 0.40, 280, 360), ("APAC Commercial", 2, 0.60, 150, 220),
    ("LATAM Commercial", 3, 1.00, 150, 220)]
COUNTRIES = [  # (country, region, share of region's accounts)
    ("United States", 0, 0.82), ("Canada", 0, 0.18), ("United Kingdom", 1, 0.30),
    ("Germany", 1, 0.25), ("France", 1, 0.17), ("Netherlands", 1, 0.12),
    ("Sweden", 1, 0.08), ("Spain", 1, 0.08), ("Australia", 2, 0.35), ("Japan", 2, 0.25),
    ("Singapore", 2, 0.20), ("India", 2, 0.20), ("Brazil", 3, 0.45), ("Mexico", 3, 0.30),
    ("Argentina", 3, 0.13), ("Chile", 3, 0.12)]
INDUSTRIES = ["Software", "Financial Services", "Healthcare", "Manufacturing",
              "Retail", "Education", "Logistics", "Media"]
SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
SOURCES = ["inbound", "outbound", "referral", "partner", "event"]
STATUSES = ["new", "mql", "sql", "converted", "disqualified"]
STAGES = ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
PRODUCTS = ["Starter", "Professional", "Enterprise", "Analytics Add-on"]
DEAL_TYPES = ["new_business", "expansion", "renewal"]
ACTIVITY_TYPES = ["call", "email", "meeting"]
FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William "
         "Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy "
         "Matthew Lisa Anthony Betty Mark Sandra Paul Ashley Steven Emily Andrew Kimberly "
         "Joshua Donna Kevin Michelle Brian Carol Priya Wei Carlos Sofia Lukas Emma Hiroshi "
         "Ana Mateo Chloe Raj Ines Omar Yuki").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
        "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
        "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright "
        "Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
        "Mitchell Carter Roberts Mueller Schmidt Tanaka Sato Kumar Silva Dubois Rossi").split()
NAME_HEAD = ("Blue North Silver Bright Red Iron Clear Swift Green Grand Summit Pine Oak Stone "
             "River Star Sun Cloud Terra Nova Apex Prime Vertex Quantum Atlas Orion Polar Delta "
             "Harbor Cedar Maple Falcon Eagle Lake Ocean Crystal Golden Urban Metro Alpine").split()
NAME_TAIL = ("field bridge point gate works wave line path forge ridge view stack core link "
             "sphere scape port mark way light crest wood hill dale brook rock spring vale "
             "haven shore bay wind fire leaf moor stream tower grid loop").split()
NAME_KIND = ("Systems Labs Group Holdings Technologies Solutions Partners Industries "
             "Logistics Networks Health Capital").split()
MONTH_FACTOR = np.array([0.95, 1.0, 1.05, 1.0, 1.0, 1.0, 0.75, 0.7, 1.05, 1.05, 1.0, 0.85])
PRODUCT_BY_SEGMENT = np.array([[.55, .35, .0, .10], [.15, .50, .15, .20], [.02, .25, .53, .20]])
PRICE = np.array([9e3, 28e3, 95e3, 14e3])            # median amount per product
PRICE_BY_SEGMENT, PRICE_BY_DEAL = np.array([0.7, 1.0, 1.8]), np.array([1.0, 0.6, 0.9])
CYCLE_DAYS = np.array([18.0, 35.0, 75.0, 25.0])       # median sales cycle per product
WIN_BY_SOURCE = np.array([1.1, 0.75, 1.6, 1.2, 0.9, 1.0])  # last entry: null source (-1)
WIN_BY_REGION, WIN_BY_DEAL = np.array([1.05, 1.0, 0.9, 0.85]), np.array([1.0, 1.3, 2.3])
POOLS = {"region": REGIONS, "team": [t[0] for t in TEAMS], "industry": INDUSTRIES,
         "segment": SEGMENTS, "country": [c[0] for c in COUNTRIES], "lead_source": SOURCES,
         "status": STATUSES, "stage": STAGES, "product": PRODUCTS, "deal_type": DEAL_TYPES,
         "activity_type": ACTIVITY_TYPES}
TS, I64, STR, F64, BOOL = pa.timestamp("us"), pa.int64(), pa.string(), pa.float64(), pa.bool_()
SCHEMAS = {name: pa.schema(fields) for name, fields in {
    "reps": [("rep_id", I64), ("rep_name", STR), ("region", STR), ("team", STR),
             ("manager", STR), ("hired_at", pa.date32()), ("quarterly_quota", F64)],
    "accounts": [("account_id", I64), ("account_name", STR), ("industry", STR),
                 ("segment", STR), ("country", STR), ("region", STR),
                 ("owner_rep_id", I64), ("created_at", pa.date32())],
    "leads": [("lead_id", I64), ("created_at", TS), ("lead_source", STR),
              ("owner_rep_id", I64), ("status", STR), ("mql_at", TS), ("sql_at", TS),
              ("converted_at", TS), ("first_response_at", TS)],
    "opportunities": [("opportunity_id", I64), ("account_id", I64), ("owner_rep_id", I64),
                      ("lead_id", I64), ("created_at", TS), ("closed_at", TS),
                      ("stage", STR), ("amount", F64), ("lead_source", STR),
                      ("product", STR), ("deal_type", STR)],
    "activities": [("activity_id", I64), ("rep_id", I64), ("account_id", I64),
                   ("opportunity_id", I64), ("lead_id", I64), ("activity_type", STR),
                   ("occurred_at", TS), ("is_follow_up", BOOL), ("email_opened", BOOL),
                   ("email_clicked", BOOL), ("meeting_attended", BOOL),
                   ("duration_minutes", pa.int32())]}.items()}
TIME_COLUMN = {"leads": "created_at", "opportunities": "created_at", "activities": "occurred_at"}
# In memory and in the Parquet dictionary pages, categorical columns are dictionary-encoded;
# the files store no Arrow schema, so readers see the plain `SCHEMAS` types above.
CATEGORY = pa.dictionary(pa.int8(), STR)
MEMORY_SCHEMAS = {name: pa.schema([f.with_type(CATEGORY) if f.name in POOLS else f for f in schema])
                  for name, schema in SCHEMAS.items()}

Cols = dict[str, np.ndarray]


class Calendar:
    """Daily intensity over the period, and samplers of business-like moments."""

    def __init__(self, start: date, months: int) -> None:
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        end = date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))
        self.n_days = (end - start).days
        self.start = np.datetime64(start, "us").astype(np.int64)
        self.end = self.start + self.n_days * US_DAY
        dates = np.datetime64(start, "D") + np.arange(self.n_days)
        month_of_year = dates.astype("datetime64[M]").astype(np.int64) % 12
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        weight = ((1 + 0.3 * np.arange(self.n_days) / self.n_days) * MONTH_FACTOR[month_of_year]
                  * np.where(weekday >= 5, 0.12, 1.0))
        self.cum = np.concatenate([[0.0], np.cumsum(weight)])
        self.grid = np.arange(self.n_days + 1, dtype=np.float64)

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        days = np.interp(q * self.cum[-1], self.cum, self.grid)
        return self.start + (days * 86_400).astype(np.int64) * US_SECOND

    def sample(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Moments in [lo, hi] (per element) following the daily intensity."""
        a = np.interp((lo - self.start) / US_DAY, self.grid, self.cum)
        b = np.interp((hi - self.start) / US_DAY, self.grid, self.cum)
        day = np.interp(a + rng.random(len(a)) * (b - a), self.cum, self.grid).astype(np.int64)
        day = np.minimum(day, self.n_days - 1)
        return np.clip(self.start + day * US_DAY + business_time(rng, len(a)), lo, hi)


def business_time(rng: np.random.Generator, n: int) -> np.ndarray:
    return (np.clip(rng.normal(12.8, 2.4, n), 7.0, 19.5) * US_HOUR).astype(np.int64)


def business_moment(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A business hour on t's day; weekend days are mostly moved to Monday."""
    day = t // US_DAY
    weekday = (day + 3) % 7
    day += np.where((weekday >= 5) & (rng.random(len(t)) < 0.85), 7 - weekday, 0)
    return day * US_DAY + business_time(rng, len(t))


def lognormal(rng: np.random.Generator, median, sigma: float, n: int, unit: int) -> np.ndarray:
    return (median * np.exp(rng.normal(0.0, sigma, n)) * unit).astype(np.int64)


def choose(rng: np.random.Generator, p, n: int, null_rate: float = 0.0) -> np.ndarray:
    codes = rng.choice(len(p), n, p=np.asarray(p) / np.sum(p))
    return np.where(rng.random(n) < null_rate, -1, codes) if null_rate else codes


def choose_by(rng: np.random.Generator, groups: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Per element, a category code drawn from its group's row of probabilities."""
    out = np.empty(len(groups), np.int64)
    for g, p in enumerate(matrix):
        selected = groups == g
        out[selected] = rng.choice(len(p), selected.sum(), p=p / p.sum())
    return out


def pick_in_group(rng: np.random.Generator, item_group: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Per element, the index of a random item whose group equals `wanted`."""
    out = np.empty(len(wanted), np.int64)
    for g in np.unique(wanted):
        members, selected = np.flatnonzero(item_group == g), wanted == g
        out[selected] = members[rng.integers(len(members), size=selected.sum())]
    return out


def group_matrix(entries: list[tuple], n_groups: int) -> np.ndarray:
    matrix = np.zeros((n_groups, len(entries)))
    for i, (_, group, share, *_) in enumerate(entries):
        matrix[group, i] = share
    return matrix


def join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def as_arrow(name: str, values, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values
    if name in POOLS:
        return pa.DictionaryArray.from_arrays(pa.array(values, pa.int8(), mask=values < 0), POOLS[name])
    if pa.types.is_timestamp(typ):
        values = values - values % US_SECOND  # whole seconds; keeps order and nulls
    if pa.types.is_floating(typ):
        return pa.array(values, typ, mask=np.isnan(values))
    if pa.types.is_boolean(typ):
        return pa.array(values == 1, typ, mask=values < 0)
    if pa.types.is_date(typ):
        return pa.array(values, typ)
    return pa.array(values, typ, mask=values < 0)


def to_table(name: str, cols: Cols) -> pa.Table:
    schema = MEMORY_SCHEMAS[name]
    return pa.Table.from_arrays([as_arrow(f.name, cols[f.name], f.type) for f in schema], schema=schema)


def make_reps(rng: np.random.Generator, n: int, start: date) -> Cols:
    counts = np.maximum(1, np.floor(n * REGION_SHARE)).astype(np.int64)
    counts[0] += n - counts.sum()
    region = rng.permutation(np.repeat(np.arange(len(REGIONS)), counts))
    team = choose_by(rng, region, group_matrix(TEAMS, len(REGIONS)))
    code = rng.choice(len(FIRST) * len(LAST), n + len(TEAMS), replace=False)
    names = join(pa.array(FIRST).take(code // len(LAST)), " ", pa.array(LAST).take(code % len(LAST)))
    low, high = np.array([t[3] for t in TEAMS])[team], np.array([t[4] for t in TEAMS])[team]
    return {"rep_id": np.arange(1, n + 1), "rep_name": names[:n], "region": region, "team": team,
            "manager": names[n:].take(pa.array(team)),
            "hired_at": np.datetime64(start, "D") - rng.integers(60, 6 * 365, n),
            "quarterly_quota": np.round(rng.uniform(low, high)) * 1000.0}


def account_names(rng: np.random.Generator, n: int) -> pa.Array:
    """Unique names like 'Bluefield Systems'; numbered once the combinations run out."""
    heads, tails = len(NAME_HEAD), len(NAME_TAIL)
    space = heads * tails * len(NAME_KIND)
    code = rng.permutation(max(n, space))[:n]
    name = join(pa.array(NAME_HEAD).take(code % heads),
                pa.array(NAME_TAIL).take(code // heads % tails), " ",
                pa.array(NAME_KIND).take(code // (heads * tails) % len(NAME_KIND)))
    number = pc.cast(pa.array(code // space + 1), STR)
    return pc.if_else(pa.array(code >= space), join(name, " ", number), name)


def make_accounts(rng: np.random.Generator, n: int, reps: Cols, start: date) -> Cols:
    region = choose(rng, REGION_SHARE, n)
    segment = choose(rng, [0.55, 0.30, 0.15], n)
    owner = pick_in_group(rng, reps["region"], region)
    weight = np.array([1.0, 1.8, 3.0])[segment] * rng.lognormal(0.0, 0.7, n)
    return {"account_id": np.arange(1, n + 1), "account_name": account_names(rng, n),
            "industry": choose(rng, [.22, .16, .12, .14, .12, .07, .09, .08], n),
            "segment": segment, "country": choose_by(rng, region, group_matrix(COUNTRIES, 4)),
            "region": region, "owner_rep_id": owner + 1,
            "created_at": np.datetime64(start, "D") - rng.integers(30, 8 * 365, n),
            "weight": weight / weight.sum()}


def funnel_step(rng: np.random.Generator, prev: np.ndarray, p: float, median_days: float,
                end: int) -> np.ndarray:
    """Time the next funnel step is reached after `prev`, or -1 if it is not."""
    t = np.maximum(business_moment(rng, prev + lognormal(rng, median_days, 1.0, len(prev), US_DAY)), prev)
    return np.where((prev >= 0) & (rng.random(len(prev)) < p) & (t < end), t, -1)


def make_leads(rng: np.random.Generator, cal: Calendar, n: int, lo: int, hi: int,
               n_reps: int, first_id: int) -> Cols:
    created = np.sort(cal.sample(rng, np.full(n, lo), np.full(n, hi - US_SECOND)))
    mql = funnel_step(rng, created, 0.37, 4.0, cal.end)
    sql = funnel_step(rng, mql, 0.47, 12.0, cal.end)
    converted = funnel_step(rng, sql, 0.31, 18.0, cal.end)
    response = created + lognormal(rng, 3.0, 1.6, n, US_HOUR)
    answered = (rng.random(n) < np.where(mql >= 0, 0.96, 0.79)) & (response < cal.end)
    last = np.maximum(np.maximum(created, mql), sql)
    status = np.select([converted >= 0, sql >= 0, mql >= 0], [3, 2, 1], 0)
    stalled = (status < 3) & (cal.end - last > 30 * US_DAY)
    status[stalled & (rng.random(n) < np.where(status == 0, 0.75, 0.5))] = 4
    life_end = np.where(converted >= 0, converted, np.minimum(last + 45 * US_DAY, cal.end - US_SECOND))
    return {"lead_id": first_id + np.arange(n), "created_at": created,
            "lead_source": choose(rng, [.45, .20, .10, .10, .15], n, null_rate=0.01),
            "owner_rep_id": rng.integers(1, n_reps + 1, n), "status": status, "mql_at": mql,
            "sql_at": sql, "converted_at": converted,
            "first_response_at": np.where(answered, response, -1),
            "life_end": np.maximum(life_end, response)}


def pull_to_quarter_end(rng: np.random.Generator, close: np.ndarray, created: np.ndarray,
                        won: np.ndarray) -> np.ndarray:
    """Move part of the closes into the last days of their quarter (most in Q4)."""
    month = close.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    next_quarter = (month // 3 + 1) * 3
    quarter_end = next_quarter.astype("datetime64[M]").astype("datetime64[us]").astype(np.int64)
    q4 = next_quarter % 12 == 0
    back = 1 + np.floor(rng.exponential(np.where(q4, 5.0, 3.0))).astype(np.int64)
    target = quarter_end - back * US_DAY + business_time(rng, len(close))
    chance = np.where(won, 0.55, 0.35) * np.where(q4, 1.4, 1.0)
    pulled = ((quarter_end - close < np.where(q4, 60, 45) * US_DAY) & (rng.random(len(close)) < chance)
              & (target > close) & (target - created <= 180 * US_DAY))
    return np.where(pulled, target, close)


def make_opportunities(rng: np.random.Generator, cal: Calendar, accounts: Cols, reps: Cols,
                       leads: Cols, n: int, lo: int, hi: int, first_id: int) -> Cols:
    conv = np.flatnonzero(leads["converted_at"] >= 0)[:n]
    after = leads["converted_at"][conv] + lognormal(rng, 1.0, 1.0, len(conv), US_DAY)
    created = np.concatenate([cal.sample(rng, np.full(n - len(conv), lo), np.full(n - len(conv), hi - US_SECOND)),
                              np.where(after < cal.end, after, leads["converted_at"][conv])])
    from_lead = np.arange(n) >= n - len(conv)
    account = rng.choice(len(accounts["weight"]), n, p=accounts["weight"])
    region, segment = accounts["region"][account], accounts["segment"][account]
    owner = np.where(rng.random(n) < 0.85, accounts["owner_rep_id"][account],
                     pick_in_group(rng, reps["region"], region) + 1)
    deal = np.where(from_lead, 0, choose(rng, [.50, .30, .20], n))
    source = np.where(from_lead, np.pad(leads["lead_source"][conv], (n - len(conv), 0)),
                      choose(rng, [.10, .50, .12, .16, .12], n, null_rate=0.01))
    product = choose_by(rng, segment, PRODUCT_BY_SEGMENT)
    amount = np.round(PRICE[product] * PRICE_BY_SEGMENT[segment] * PRICE_BY_DEAL[deal]
                      * rng.lognormal(0.0, 0.55, n), 2)
    amount[rng.random(n) < 0.005] = np.nan
    cycle = lognormal(rng, CYCLE_DAYS[product] * np.where(segment == 2, 1.3, 1.0), 0.55, n, US_DAY)
    won = rng.random(n) < 0.2 * WIN_BY_SOURCE[source] * WIN_BY_REGION[region] * WIN_BY_DEAL[deal]
    close = np.clip(business_moment(rng, created + cycle), created + 5 * US_DAY, created + 180 * US_DAY)
    close = pull_to_quarter_end(rng, close, created, won)
    is_open = close >= cal.end
    progress = (cal.end - created) / (close - created) * 4 + rng.normal(0.0, 0.5, n)
    stage = np.where(is_open, np.clip(progress, 0, 3).astype(np.int64), np.where(won, 4, 5))
    cols = {"account_id": account + 1, "owner_rep_id": owner, "created_at": created,
            "lead_id": np.pad(leads["lead_id"][conv], (n - len(conv), 0), constant_values=-1),
            "closed_at": np.where(is_open, -1, close), "stage": stage, "amount": amount,
            "lead_source": source, "product": product, "deal_type": deal,
            "life_end": np.where(is_open, cal.end - US_SECOND, close)}
    order = np.argsort(created, kind="stable")
    return {"opportunity_id": first_id + np.arange(n)} | {k: v[order] for k, v in cols.items()}


def activity_details(rng: np.random.Generator, kind: np.ndarray) -> Cols:
    n, email, meeting = len(kind), kind == 1, kind == 2
    opened = np.where(email, rng.random(n) < 0.41, -1)
    call_minutes = np.clip(lognormal(rng, 6.0, 0.8, n, 1), 1, 120)
    meeting_minutes = np.array([15, 30, 45, 60, 90])[choose(rng, [.1, .45, .15, .25, .05], n)]
    return {"email_opened": opened,
            "email_clicked": np.where(email, (opened == 1) & (rng.random(n) < 0.19), -1),
            "meeting_attended": np.where(meeting, rng.random(n) < 0.8, -1),
            "duration_minutes": np.where(kind == 0, call_minutes, np.where(meeting, meeting_minutes, -1))}


def make_activities(rng: np.random.Generator, cal: Calendar, parent: Cols, first_at: np.ndarray,
                    life_end: np.ndarray, extra: np.ndarray, first_p: list, extra_p: list,
                    first_is_follow_up: bool) -> Cols:
    """A first touch at `first_at` per parent record plus `extra` touches over its life."""
    m = len(first_at)
    rows = np.concatenate([np.arange(m), np.repeat(np.arange(m), extra)])
    kind = np.concatenate([choose(rng, first_p, m), choose(rng, extra_p, len(rows) - m)])
    later = cal.sample(rng, first_at[rows[m:]], life_end[rows[m:]])
    return {k: v[rows] for k, v in parent.items()} | activity_details(rng, kind) | {
        "activity_id": np.zeros(len(rows), np.int64), "activity_type": kind,
        "occurred_at": np.concatenate([first_at, later]),
        "is_follow_up": np.where(np.arange(len(rows)) < m, int(first_is_follow_up), 1)}


def make_window(rng: np.random.Generator, cal: Calendar, reps: Cols, accounts: Cols,
                n: int, lo: int, hi: int, done: int) -> dict[str, pa.Table]:
    leads = make_leads(rng, cal, 3 * n, lo, hi, len(reps["rep_id"]), 3 * done + 1)
    opps = make_opportunities(rng, cal, accounts, reps, leads, n, lo, hi, done + 1)
    life = (opps["life_end"] - opps["created_at"]) / US_DAY
    on_opps = make_activities(
        rng, cal, {"rep_id": opps["owner_rep_id"], "account_id": opps["account_id"],
                   "opportunity_id": opps["opportunity_id"], "lead_id": np.full(n, -1)},
        opps["created_at"], opps["life_end"], rng.poisson(life / 45), [.35, .25, .40], [.42, .33, .25], False)
    answered = np.flatnonzero(leads["first_response_at"] >= 0)
    none = np.full(len(answered), -1)
    on_leads = make_activities(
        rng, cal, {"rep_id": leads["owner_rep_id"][answered], "account_id": none,
                   "opportunity_id": none, "lead_id": leads["lead_id"][answered]},
        leads["first_response_at"][answered], leads["life_end"][answered],
        rng.poisson(np.where(leads["mql_at"][answered] >= 0, 0.4, 0.03)), [.5, .5, 0], [.45, .45, .1], True)
    activities = {k: np.concatenate([on_opps[k], on_leads[k]]) for k in on_opps}
    return {"leads": to_table("leads", leads), "opportunities": to_table("opportunities", opps),
            "activities": to_table("activities", activities)}


def parquet_options(schema: pa.Schema) -> dict:
    """zstd, dictionary pages for categories, delta encoding for integers and timestamps."""
    delta = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_temporal(f.type)]
    return {"compression": "zstd", "compression_level": 1, "store_schema": False,
            "use_dictionary": [f.name for f in schema if f.name in POOLS],
            "column_encoding": dict.fromkeys(delta, "DELTA_BINARY_PACKED")}


def split_due(table: pa.Table, column: str, hi: int) -> tuple[pa.Table, pa.Table]:
    """Rows with time before `hi` sorted by time, and the remaining rows."""
    times = table[column].to_numpy().view(np.int64)
    due = np.flatnonzero(times < hi)
    order = due[np.argsort(times[due], kind="stable")]  # timsort: fast on presorted runs
    return table.take(order), table.filter(pa.array(times >= hi)).combine_chunks()


class FactWriter:
    """Buffers generated rows and writes them in time order, once their window is reached.

    Each file is written by its own background thread, overlapping with generation.
    """

    def __init__(self, out: Path) -> None:
        schemas = {name: MEMORY_SCHEMAS[name] for name in TIME_COLUMN}
        self.writers = {name: pq.ParquetWriter(out / f"{name}.parquet", schema, **parquet_options(schema))
                        for name, schema in schemas.items()}
        self.pending = {name: schema.empty_table() for name, schema in schemas.items()}
        self.counts = dict.fromkeys(TIME_COLUMN, 0)
        self.pool, self.jobs = ThreadPoolExecutor(len(TIME_COLUMN)), []

    def add(self, fresh: dict[str, pa.Table], hi: int) -> None:
        """Write all buffered and fresh rows whose time is before `hi`."""
        for job in self.jobs:
            job.result()
        self.jobs = []
        for name, column in TIME_COLUMN.items():
            due, self.pending[name] = split_due(pa.concat_tables([self.pending[name], fresh[name]]), column, hi)
            if name == "activities":  # ids follow time order
                due = due.set_column(0, "activity_id", pa.array(self.counts[name] + 1 + np.arange(len(due))))
            self.jobs.append(self.pool.submit(self.writers[name].write_table, due, row_group_size=ROW_GROUP))
            self.counts[name] += len(due)

    def close(self) -> dict[str, int]:
        self.pool.shutdown()
        for job, writer in zip(self.jobs, self.writers.values()):
            job.result()
            writer.close()
        return self.counts


def write_facts(seeds: list[np.random.SeedSequence], cal: Calendar, reps: Cols, accounts: Cols,
                opportunities: int, out: Path) -> dict[str, int]:
    """Generate the time windows (two at a time, each from its own seed) and write them."""
    bounds = cal.quantiles(np.linspace(0.0, 1.0, len(seeds) + 1))
    bounds[0], bounds[-1] = cal.start, cal.end
    sizes = np.diff(np.round(np.linspace(0, opportunities, len(seeds) + 1)).astype(np.int64))
    before = np.cumsum(sizes) - sizes

    def window(k: int) -> dict[str, pa.Table]:
        rng = np.random.Generator(np.random.PCG64(seeds[k]))
        return make_window(rng, cal, reps, accounts, int(sizes[k]), int(bounds[k]), int(bounds[k + 1]),
                           int(before[k]))

    sink = FactWriter(out)
    with ThreadPoolExecutor(2) as makers:
        ahead = deque(makers.submit(window, k) for k in range(min(2, len(seeds))))
        for k in range(len(seeds)):
            fresh = ahead.popleft().result()
            if k + 2 < len(seeds):
                ahead.append(makers.submit(window, k + 2))
            sink.add(fresh, int(bounds[k + 1]))
    return sink.close()


def generate(out_dir: str | Path, opportunities: int = 4000, seed: int = 7,
             start: date = date(2024, 1, 1), months: int = 24) -> dict[str, int]:
    """Write the five tables as Parquet files into out_dir; return their row counts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dims_seed, *window_seeds = np.random.SeedSequence(seed).spawn(1 + max(1, -(-opportunities // CHUNK)))
    rng = np.random.Generator(np.random.PCG64(dims_seed))
    cal = Calendar(start, months)
    reps = make_reps(rng, int(np.clip(opportunities // 100, 12, 2000)), start)
    accounts = make_accounts(rng, int(np.clip(opportunities // 4, 50, 500_000)), reps, start)
    for name, cols in (("reps", reps), ("accounts", accounts)):
        table = to_table(name, cols)
        pq.write_table(table, out / f"{name}.parquet", **parquet_options(table.schema))
    counts = {"reps": len(reps["rep_id"]), "accounts": len(accounts["account_id"])}
    return counts | write_facts(window_seeds, cal, reps, accounts, opportunities, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--months", type=int, default=24)
    args = parser.parse_args()
    counts = generate(args.out, args.opportunities, args.seed, args.start, args.months)
    for name, rows in counts.items():
        print(f"{name:<14}{rows:>12,}  {args.out / (name + '.parquet')}")


if __name__ == "__main__":
    main()
