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

Scale: the period is cut into time windows of ~CHUNK opportunities. A window's
records are generated together; rows are written once their time falls before
the window's end and later rows are carried over, so every file is sorted by
time while memory stays bounded. Internally times are int64 seconds since the
epoch and -1 (or NaN) marks a null value.
"""
from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HOUR, DAY = 3_600, 86_400
CHUNK, ROW_GROUP = 100_000, 1_000_000
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
REGION_SHARE = np.array([0.45, 0.30, 0.15, 0.10])
TEAMS = [  # (team, region, share of the region's reps, quota range in k$)
    ("NA Enterprise", 0, 0.25, 320, 400), ("NA Mid-Market", 0, 0.35, 220, 300),
    ("NA SMB", 0, 0.40, 150, 200), ("EMEA Enterprise", 1, 0.30, 300, 380),
    ("EMEA Mid-Market", 1, 0.35, 200, 280), ("EMEA Commercial", 1, 0.35, 150, 210),
    ("APAC Enterprise", 2, 0.40, 280, 360), ("APAC Commercial", 2, 0.60, 150, 220),
    ("LATAM Commercial", 3, 1.00, 150, 220)]
COUNTRIES = [  # (country, region, share of the region's accounts)
    ("United States", 0, 0.82), ("Canada", 0, 0.18), ("United Kingdom", 1, 0.30),
    ("Germany", 1, 0.25), ("France", 1, 0.17), ("Netherlands", 1, 0.12),
    ("Sweden", 1, 0.08), ("Spain", 1, 0.08), ("Australia", 2, 0.35), ("Japan", 2, 0.25),
    ("Singapore", 2, 0.20), ("India", 2, 0.20), ("Brazil", 3, 0.45), ("Mexico", 3, 0.30),
    ("Argentina", 3, 0.13), ("Chile", 3, 0.12)]
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
PRICE = np.array([9e3, 28e3, 95e3, 14e3])  # median amount per product
PRICE_BY_SEGMENT, PRICE_BY_DEAL = np.array([0.7, 1.0, 1.8]), np.array([1.0, 0.6, 0.9])
CYCLE_DAYS = np.array([18.0, 35.0, 75.0, 25.0])  # median sales cycle per product
WIN_BY_SOURCE = np.array([1.1, 0.75, 1.6, 1.2, 0.9, 1.0])  # last entry: null source (-1)
WIN_BY_REGION, WIN_BY_DEAL = np.array([1.05, 1.0, 0.9, 0.85]), np.array([1.0, 1.3, 2.3])
POOLS = {"region": REGIONS, "team": [t[0] for t in TEAMS], "country": [c[0] for c in COUNTRIES],
         "industry": ["Software", "Financial Services", "Healthcare", "Manufacturing", "Retail",
                      "Education", "Logistics", "Media"],
         "segment": ["SMB", "Mid-Market", "Enterprise"],
         "lead_source": ["inbound", "outbound", "referral", "partner", "event"],
         "status": ["new", "mql", "sql", "converted", "disqualified"],
         "stage": ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"],
         "product": ["Starter", "Professional", "Enterprise", "Analytics Add-on"],
         "deal_type": ["new_business", "expansion", "renewal"],
         "activity_type": ["call", "email", "meeting"]}
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
# Categorical columns are dictionary-encoded in memory and in the files; as no Arrow
# schema is stored, readers see the plain types of SCHEMAS.
MEMORY_SCHEMAS = {name: pa.schema([f.with_type(pa.dictionary(pa.int8(), STR)) if f.name in POOLS
                                   else f for f in schema]) for name, schema in SCHEMAS.items()}

Cols = dict[str, np.ndarray]
Rng = np.random.Generator


class Calendar:
    """Daily intensity over the period and a sampler of moments following it."""

    def __init__(self, start: date, months: int) -> None:
        first = np.datetime64(start, "D")
        self.n_days = int(((np.datetime64(start, "M") + months).astype("datetime64[D]")
                           + (start.day - 1) - first).astype(np.int64))
        self.start = int(first.astype("datetime64[s]").astype(np.int64))
        self.end = self.start + self.n_days * DAY
        dates = first + np.arange(self.n_days)
        month_of_year = dates.astype("datetime64[M]").astype(np.int64) % 12
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        weight = ((1 + 0.3 * np.arange(self.n_days) / self.n_days) * MONTH_FACTOR[month_of_year]
                  * np.where(weekday >= 5, 0.12, 1.0))
        self.cum = np.concatenate([[0.0], np.cumsum(weight)])
        self.grid = np.arange(self.n_days + 1, dtype=np.float64)

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        return self.start + (np.interp(q * self.cum[-1], self.cum, self.grid) * DAY).astype(np.int64)

    def sample(self, rng: Rng, lo: np.ndarray, hi: np.ndarray, counts: np.ndarray | int = 1) -> np.ndarray:
        """`counts` moments per [lo, hi] interval, following the daily intensity."""
        a, b = (np.repeat(np.interp((t - self.start) / DAY, self.grid, self.cum), counts) for t in (lo, hi))
        day = np.interp(a + rng.random(len(a)) * (b - a), self.cum, self.grid).astype(np.int64)
        moment = self.start + day * DAY + business_time(rng, len(a))
        return np.clip(moment, np.repeat(lo, counts), np.repeat(hi, counts))


def business_time(rng: Rng, n: int) -> np.ndarray:
    """Seconds into the day, triangular between 08:00 and 18:00."""
    return 8 * HOUR + rng.integers(0, 5 * HOUR, n) + rng.integers(0, 5 * HOUR, n)


def business_moment(rng: Rng, t: np.ndarray) -> np.ndarray:
    """A business hour on t's day; weekend days are mostly moved to Monday."""
    day = t // DAY
    weekday = (day + 3) % 7
    day += np.where((weekday >= 5) & (rng.random(len(t)) < 0.85), 7 - weekday, 0)
    return day * DAY + business_time(rng, len(t))


def lognormal(rng: Rng, median: float | np.ndarray, sigma: float, n: int, unit: int) -> np.ndarray:
    return (rng.lognormal(np.log(median), sigma, n) * unit).astype(np.int64)


def choose(rng: Rng, p: list[float], n: int, null_rate: float = 0.0) -> np.ndarray:
    codes = rng.choice(len(p), n, p=np.asarray(p) / np.sum(p))
    return np.where(rng.random(n) < null_rate, -1, codes) if null_rate else codes


def choose_by(rng: Rng, groups: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Per element, a category code drawn from its group's row of probabilities."""
    out = np.empty(len(groups), np.int64)
    for g, p in enumerate(matrix):
        selected = groups == g
        out[selected] = rng.choice(len(p), selected.sum(), p=p / p.sum())
    return out


def pick_in_group(rng: Rng, item_group: np.ndarray, wanted: np.ndarray) -> np.ndarray:
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


def as_arrow(name: str, values: np.ndarray | pa.Array, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values
    if name in POOLS:
        return pa.DictionaryArray.from_arrays(pa.array(values, pa.int8(), mask=values < 0), POOLS[name])
    if pa.types.is_floating(typ):
        return pa.array(values, typ, mask=np.isnan(values))
    if pa.types.is_date(typ):
        return pa.array(values, typ)
    if pa.types.is_boolean(typ):
        return pa.array(values == 1, typ, mask=values < 0)
    scale = 1_000_000 if pa.types.is_timestamp(typ) else 1
    return pa.array(values * scale, typ, mask=values < 0)


def to_table(name: str, cols: Cols) -> pa.Table:
    schema = MEMORY_SCHEMAS[name]
    return pa.Table.from_arrays([as_arrow(f.name, cols[f.name], f.type) for f in schema], schema=schema)


def make_reps(rng: Rng, n: int, start: date) -> Cols:
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


def account_names(rng: Rng, n: int) -> pa.Array:
    """Unique names like 'Bluefield Systems'; numbered once the combinations run out."""
    heads, tails = len(NAME_HEAD), len(NAME_TAIL)
    space = heads * tails * len(NAME_KIND)
    code = rng.permutation(max(n, space))[:n]
    name = join(pa.array(NAME_HEAD).take(code % heads), pa.array(NAME_TAIL).take(code // heads % tails),
                " ", pa.array(NAME_KIND).take(code // (heads * tails) % len(NAME_KIND)))
    number = pc.cast(pa.array(code // space + 1), STR)
    return pc.if_else(pa.array(code >= space), join(name, " ", number), name)


def make_accounts(rng: Rng, n: int, reps: Cols, start: date) -> Cols:
    region = choose(rng, REGION_SHARE, n)
    segment = choose(rng, [0.55, 0.30, 0.15], n)
    weight = np.array([1.0, 1.8, 3.0])[segment] * rng.lognormal(0.0, 0.7, n)
    return {"account_id": np.arange(1, n + 1), "account_name": account_names(rng, n),
            "industry": choose(rng, [.22, .16, .12, .14, .12, .07, .09, .08], n),
            "segment": segment, "country": choose_by(rng, region, group_matrix(COUNTRIES, 4)),
            "region": region, "owner_rep_id": pick_in_group(rng, reps["region"], region) + 1,
            "created_at": np.datetime64(start, "D") - rng.integers(30, 8 * 365, n),
            "weight": weight / weight.sum()}


def funnel_step(rng: Rng, prev: np.ndarray, p: float, median_days: float, end: int) -> np.ndarray:
    """When each record reaches the funnel step after `prev`, or -1 if it does not."""
    out = np.full(len(prev), -1)
    idx = np.flatnonzero(prev >= 0)
    idx = idx[rng.random(len(idx)) < p]
    delay = lognormal(rng, median_days, 1.0, len(idx), DAY)
    t = np.maximum(business_moment(rng, prev[idx] + delay), prev[idx])
    out[idx] = np.where(t < end, t, -1)
    return out


def make_leads(rng: Rng, cal: Calendar, n: int, lo: int, hi: int, n_reps: int, first_id: int) -> Cols:
    created = np.sort(cal.sample(rng, np.array([lo]), np.array([hi - 1]), n))
    mql = funnel_step(rng, created, 0.37, 4.0, cal.end)
    sql = funnel_step(rng, mql, 0.47, 12.0, cal.end)
    converted = funnel_step(rng, sql, 0.31, 18.0, cal.end)
    response = created + lognormal(rng, 3.0, 1.6, n, HOUR)
    answered = (rng.random(n) < np.where(mql >= 0, 0.96, 0.79)) & (response < cal.end)
    last = np.maximum(np.maximum(created, mql), sql)
    status = np.select([converted >= 0, sql >= 0, mql >= 0], [3, 2, 1], 0)
    stalled = (status < 3) & (cal.end - last > 30 * DAY)
    status[stalled & (rng.random(n) < np.where(status == 0, 0.75, 0.5))] = 4
    life_end = np.where(converted >= 0, converted, np.minimum(last + 45 * DAY, cal.end - 1))
    return {"lead_id": first_id + np.arange(n), "created_at": created,
            "lead_source": choose(rng, [.45, .20, .10, .10, .15], n, null_rate=0.01),
            "owner_rep_id": rng.integers(1, n_reps + 1, n), "status": status, "mql_at": mql,
            "sql_at": sql, "converted_at": converted,
            "first_response_at": np.where(answered, response, -1),
            "life_end": np.maximum(life_end, response)}


def pull_to_quarter_end(rng: Rng, close: np.ndarray, created: np.ndarray, won: np.ndarray) -> np.ndarray:
    """Move part of the closes into the last days of their quarter (most in Q4)."""
    month = close.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    next_quarter = (month // 3 + 1) * 3
    quarter_end = next_quarter.astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)
    q4 = next_quarter % 12 == 0
    back = 1 + rng.exponential(np.where(q4, 5.0, 3.0)).astype(np.int64)
    target = quarter_end - back * DAY + business_time(rng, len(close))
    chance = np.where(won, 0.55, 0.35) * np.where(q4, 1.4, 1.0)
    pulled = ((quarter_end - close < np.where(q4, 60, 45) * DAY) & (rng.random(len(close)) < chance)
              & (target > close) & (target - created <= 180 * DAY))
    return np.where(pulled, target, close)


def make_opportunities(rng: Rng, cal: Calendar, accounts: Cols, reps: Cols, leads: Cols,
                       n: int, lo: int, hi: int, first_id: int) -> Cols:
    conv = np.flatnonzero(leads["converted_at"] >= 0)[:n]
    n_direct, converted_at = n - len(conv), leads["converted_at"][conv]
    after = converted_at + lognormal(rng, 1.0, 1.0, len(conv), DAY)
    created = np.concatenate([np.sort(cal.sample(rng, np.array([lo]), np.array([hi - 1]), n_direct)),
                              np.where(after < cal.end, after, converted_at)])
    from_lead = np.arange(n) >= n_direct
    account = rng.choice(len(accounts["weight"]), n, p=accounts["weight"])
    region, segment = accounts["region"][account], accounts["segment"][account]
    owner = np.where(rng.random(n) < 0.85, accounts["owner_rep_id"][account],
                     pick_in_group(rng, reps["region"], region) + 1)
    deal = np.where(from_lead, 0, choose(rng, [.50, .30, .20], n))
    source = np.where(from_lead, np.pad(leads["lead_source"][conv], (n_direct, 0)),
                      choose(rng, [.10, .50, .12, .16, .12], n, null_rate=0.01))
    product = choose_by(rng, segment, PRODUCT_BY_SEGMENT)
    amount = np.round(PRICE[product] * PRICE_BY_SEGMENT[segment] * PRICE_BY_DEAL[deal]
                      * rng.lognormal(0.0, 0.55, n), 2)
    amount[rng.random(n) < 0.005] = np.nan
    cycle = lognormal(rng, CYCLE_DAYS[product] * np.where(segment == 2, 1.3, 1.0), 0.55, n, DAY)
    won = rng.random(n) < 0.2 * WIN_BY_SOURCE[source] * WIN_BY_REGION[region] * WIN_BY_DEAL[deal]
    close = np.clip(business_moment(rng, created + cycle), created + 5 * DAY, created + 180 * DAY)
    close = pull_to_quarter_end(rng, close, created, won)
    is_open = close >= cal.end
    progress = (cal.end - created) / (close - created) * 4 + rng.normal(0.0, 0.5, n)
    return {"opportunity_id": first_id + np.arange(n), "account_id": account + 1,
            "owner_rep_id": owner, "created_at": created,
            "lead_id": np.pad(leads["lead_id"][conv], (n_direct, 0), constant_values=-1),
            "closed_at": np.where(is_open, -1, close), "amount": amount, "lead_source": source,
            "stage": np.where(is_open, np.clip(progress, 0, 3).astype(np.int64), np.where(won, 4, 5)),
            "product": product, "deal_type": deal, "life_end": np.where(is_open, cal.end - 1, close)}


def activity_details(rng: Rng, kind: np.ndarray) -> Cols:
    """Email, meeting and call outcomes; -1 (null) where they do not apply."""
    opened, clicked, attended, minutes = (np.full(len(kind), -1) for _ in range(4))
    call, email, meeting = (np.flatnonzero(kind == code) for code in range(3))
    opened[email] = rng.random(len(email)) < 0.41
    clicked[email] = (opened[email] == 1) & (rng.random(len(email)) < 0.19)
    attended[meeting] = rng.random(len(meeting)) < 0.8
    minutes[call] = np.clip(lognormal(rng, 6.0, 0.8, len(call), 1), 1, 120)
    minutes[meeting] = np.array([15, 30, 45, 60, 90])[choose(rng, [.1, .45, .15, .25, .05], len(meeting))]
    return {"email_opened": opened, "email_clicked": clicked, "meeting_attended": attended,
            "duration_minutes": minutes}


def make_activities(rng: Rng, cal: Calendar, parent: Cols, first_at: np.ndarray, life_end: np.ndarray,
                    extra: np.ndarray, first_p: list[float], extra_p: list[float],
                    first_is_follow_up: bool) -> pa.Table:
    """A first touch at `first_at` per parent record plus `extra` touches over its life."""
    m, k = len(first_at), int(extra.sum())
    kind = np.concatenate([choose(rng, first_p, m), choose(rng, extra_p, k)])
    cols = {name: np.concatenate([v, np.repeat(v, extra)]) for name, v in parent.items()}
    return to_table("activities", cols | activity_details(rng, kind) | {
        "activity_id": np.zeros(m + k, np.int64), "activity_type": kind,
        "occurred_at": np.concatenate([first_at, cal.sample(rng, first_at, life_end, extra)]),
        "is_follow_up": np.concatenate([np.full(m, int(first_is_follow_up)), np.ones(k, np.int64)])})


def make_window(rng: Rng, cal: Calendar, reps: Cols, accounts: Cols, n: int, lo: int, hi: int,
                done: int) -> dict[str, pa.Table]:
    """Leads created in [lo, hi), the opportunities of the window and all their activities."""
    leads = make_leads(rng, cal, 3 * n, lo, hi, len(reps["rep_id"]), 3 * done + 1)
    opps = make_opportunities(rng, cal, accounts, reps, leads, n, lo, hi, done + 1)
    on_opps = make_activities(
        rng, cal, {"rep_id": opps["owner_rep_id"], "account_id": opps["account_id"],
                   "opportunity_id": opps["opportunity_id"], "lead_id": np.full(n, -1)},
        opps["created_at"], opps["life_end"], rng.poisson((opps["life_end"] - opps["created_at"]) / (45 * DAY)),
        [.35, .25, .40], [.42, .33, .25], False)
    answered = np.flatnonzero(leads["first_response_at"] >= 0)
    none = np.full(len(answered), -1)
    on_leads = make_activities(
        rng, cal, {"rep_id": leads["owner_rep_id"][answered], "account_id": none,
                   "opportunity_id": none, "lead_id": leads["lead_id"][answered]},
        leads["first_response_at"][answered], leads["life_end"][answered],
        rng.poisson(np.where(leads["mql_at"][answered] >= 0, 0.4, 0.03)), [.5, .5, 0], [.45, .45, .1], True)
    return {"leads": to_table("leads", leads), "opportunities": to_table("opportunities", opps),
            "activities": pa.concat_tables([on_opps, on_leads])}


def parquet_options(schema: pa.Schema) -> dict:
    """zstd; dictionary pages for categories, delta encoding for integers and timestamps."""
    delta = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_temporal(f.type)]
    return {"compression": "zstd", "compression_level": 1, "store_schema": False,
            "use_dictionary": [f.name for f in schema if f.name in POOLS],
            "column_encoding": dict.fromkeys(delta, "DELTA_BINARY_PACKED")}


class FactWriter:
    """Buffers rows until their window is reached, then writes them in time order.

    Full row groups are written by one background thread per file while the next
    window is generated.
    """

    def __init__(self, out: Path) -> None:
        schemas = {name: MEMORY_SCHEMAS[name] for name in TIME_COLUMN}
        self.writers = {name: pq.ParquetWriter(out / f"{name}.parquet", schema, **parquet_options(schema))
                        for name, schema in schemas.items()}
        self.pending = {name: schema.empty_table() for name, schema in schemas.items()}
        self.ready = dict(self.pending)
        self.pool, self.jobs = ThreadPoolExecutor(len(TIME_COLUMN)), []
        self.counts = dict.fromkeys(TIME_COLUMN, 0)

    def add(self, fresh: dict[str, pa.Table], hi: int, last: bool = False) -> None:
        """Move the buffered and fresh rows with time before `hi` to the files."""
        for job in self.jobs:
            job.result()
        self.jobs = []
        for name, column in TIME_COLUMN.items():
            table = pa.concat_tables([self.pending[name], fresh[name]])
            times = table[column].to_numpy().view(np.int64) // 1_000_000
            due = np.flatnonzero(times < hi)
            due = table.take(due[np.argsort(times[due], kind="stable")])  # timsort: presorted runs
            if name == "activities":  # ids follow time order
                due = due.set_column(0, "activity_id", pa.array(self.counts[name] + 1 + np.arange(len(due))))
            self.pending[name] = table.filter(pa.array(times >= hi)).combine_chunks()
            ready = pa.concat_tables([self.ready[name], due])
            cut = len(ready) if last else len(ready) // ROW_GROUP * ROW_GROUP
            if cut:
                self.jobs.append(self.pool.submit(self.writers[name].write_table, ready.slice(0, cut), ROW_GROUP))
            self.ready[name], self.counts[name] = ready.slice(cut), self.counts[name] + len(due)

    def close(self) -> dict[str, int]:
        self.pool.shutdown()
        for job, writer in zip(self.jobs, self.writers.values()):
            job.result()
            writer.close()
        return self.counts


def generate(out_dir: str | Path, opportunities: int = 4000, seed: int = 7,
             start: date = date(2024, 1, 1), months: int = 24) -> dict[str, int]:
    """Write the five tables as Parquet files into out_dir; return their row counts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(seed))
    cal = Calendar(start, months)
    reps = make_reps(rng, int(np.clip(opportunities // 100, 12, 2000)), start)
    accounts = make_accounts(rng, int(np.clip(opportunities // 4, 50, 500_000)), reps, start)
    for name, cols in (("reps", reps), ("accounts", accounts)):
        table = to_table(name, cols)
        pq.write_table(table, out / f"{name}.parquet", **parquet_options(table.schema))
    windows = max(1, -(-opportunities // CHUNK))
    bounds = cal.quantiles(np.linspace(0.0, 1.0, windows + 1))
    bounds[0], bounds[-1] = cal.start, cal.end
    sizes = np.diff(np.round(np.linspace(0, opportunities, windows + 1)).astype(np.int64))
    sink = FactWriter(out)
    for k in range(windows):
        fresh = make_window(rng, cal, reps, accounts, int(sizes[k]), int(bounds[k]), int(bounds[k + 1]),
                            int(sizes[:k].sum()))
        sink.add(fresh, int(bounds[k + 1]), last=k == windows - 1)
    return {"reps": len(reps["rep_id"]), "accounts": len(accounts["account_id"])} | sink.close()


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
