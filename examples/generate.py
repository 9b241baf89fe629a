"""Deterministic generator of a realistic B2B CRM sample dataset, written as Parquet.

Model
-----
* Time: every timestamp lies in [start, start + months). A daily intensity (mild growth x
  month factor with a July/August dip x weekend factor) drives when leads, opportunities
  and activities happen; times of day cluster around business hours.
* Dimensions: reps (uneven regions, a few teams per region, team-based quotas) and
  accounts (industry, segment, country, an owner rep of the same region, a propensity
  tier). Both grow sublinearly with the number of opportunities.
* Leads run through new -> mql -> sql -> converted with log-normal step delays; a step
  that would happen after the period end is not reached. Most leads get a first
  follow-up touch within hours, some never do.
* Each converted lead becomes an opportunity shortly after conversion; the others are
  created directly on accounts. Sales cycles are log-normal per product (5-180 days),
  win odds depend on lead source, region and deal type, closes are pulled towards
  quarter ends (strongest in Q4), and deals that would close after the period end
  stay open at a stage matching their progress.
* Activities: a first touch when an opportunity is created or a lead is followed up,
  then later touches as a Poisson process over the record's life that follows the
  daily intensity.

Derived tables, from won deals and the dimensions, each from a random stream of its own
(so the tables above do not depend on them):
* quotas: per rep and calendar quarter from the rep's hiring quarter. The rep's
  quarterly_quota is rescaled per team so that quotas centre on the team's median
  quarterly won revenue per rep (the level depends on deals per rep, hence on the scale),
  then grows 2-4% a quarter, with noise; about half the rep-quarters reach quota.
* nps_responses: 1.5 per account with a win on average, from two weeks after its first
  win; scores skewed high (~45% promoters, ~25% detractors), better for larger segments.
* subscriptions, subscription_events, mrr_snapshots: each won new-business deal with an
  amount starts a subscription at amount / 12 MRR; each such expansion deal adds
  amount / 12 to a live subscription of its account (the latest of the same product,
  else the latest), if any. Per month a live subscription churns (1.2-2%, highest for
  SMB; its whole MRR) or contracts (1%; 10-40% of its MRR). MRR is kept in integer cents,
  so events and month-end account snapshots agree to the cent.

Scale: the period is cut into time windows of ~CHUNK opportunities. Each window yields
the leads and opportunities created in it and all touches falling in it, so every file
is written window by window, sorted by time, with bounded memory. Carried from window
to window are converted leads whose opportunity starts later, records that may still
be touched, and what the derived tables need of the won deals (aggregates per rep and
quarter and per account, and the compact new-business and expansion deals). The
subscriptions are then simulated month by month, vectorised over subscriptions.
Internally times are int64 seconds; -1 (or NaN) marks a null.
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
CHUNK, ROW_GROUP = 100_000, 1_000_000  # opportunities per time window, max rows per row group
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
REGION_SHARE = np.array([0.45, 0.30, 0.15, 0.10])
TEAMS = [  # (team, region, share of the region's reps, quota range in k$)
    ("NA Enterprise", 0, .25, 320, 400), ("NA Mid-Market", 0, .35, 220, 300), ("NA SMB", 0, .40, 150, 200),
    ("EMEA Enterprise", 1, .30, 300, 380), ("EMEA Mid-Market", 1, .35, 200, 280),
    ("EMEA Commercial", 1, .35, 150, 210), ("APAC Enterprise", 2, .40, 280, 360),
    ("APAC Commercial", 2, .60, 150, 220), ("LATAM Commercial", 3, 1.0, 150, 220)]
COUNTRIES = [  # (country, region, share of the region's accounts)
    ("United States", 0, .82), ("Canada", 0, .18), ("United Kingdom", 1, .30), ("Germany", 1, .25),
    ("France", 1, .17), ("Netherlands", 1, .12), ("Sweden", 1, .08), ("Spain", 1, .08),
    ("Australia", 2, .35), ("Japan", 2, .25), ("Singapore", 2, .20), ("India", 2, .20),
    ("Brazil", 3, .45), ("Mexico", 3, .30), ("Argentina", 3, .13), ("Chile", 3, .12)]
FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
         "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark "
         "Sandra Paul Ashley Steven Emily Andrew Kimberly Joshua Donna Kevin Michelle Brian Carol Priya "
         "Wei Carlos Sofia Lukas Emma Hiroshi Ana Mateo Chloe Raj Ines Omar Yuki").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
        "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
        "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
        "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Mueller Schmidt "
        "Tanaka Sato Kumar Silva Dubois Rossi").split()
NAME_HEAD = ("Blue North Silver Bright Red Iron Clear Swift Green Grand Summit Pine Oak Stone River Star "
             "Sun Cloud Terra Nova Apex Prime Vertex Quantum Atlas Orion Polar Delta Harbor Cedar Maple "
             "Falcon Eagle Lake Ocean Crystal Golden Urban Metro Alpine").split()
NAME_TAIL = ("field bridge point gate works wave line path forge ridge view stack core link sphere scape "
             "port mark way light crest wood hill dale brook rock spring vale haven shore bay wind fire "
             "leaf moor stream tower grid loop").split()
NAME_KIND = ("Systems Labs Group Holdings Technologies Solutions Partners Industries Logistics Networks "
             "Health Capital").split()
MONTH_FACTOR = np.array([0.95, 1.0, 1.05, 1.0, 1.0, 1.0, 0.75, 0.7, 1.05, 1.05, 1.0, 0.85])
TIER_SHARE, TIER_PULL = [.60, .25, .10, .05], np.array([1.0, 2.0, 4.0, 8.0])  # account propensity tiers
SEGMENT_PULL = np.array([1.0, 1.8, 3.0])  # relative number of opportunities per account
PRODUCT_BY_SEGMENT = np.array([[.55, .35, .0, .10], [.15, .50, .15, .20], [.02, .25, .53, .20]])
PRICE = np.array([9e3, 28e3, 95e3, 14e3])  # median amount per product
PRICE_BY_SEGMENT, PRICE_BY_DEAL = np.array([0.7, 1.0, 1.8]), np.array([1.0, 0.6, 0.9])
CYCLE_DAYS = np.array([18.0, 35.0, 75.0, 25.0])  # median sales cycle per product
WIN_BY_SOURCE = np.array([1.1, 0.75, 1.6, 1.2, 0.9, 1.0])  # last entry: null source (-1)
WIN_BY_REGION, WIN_BY_DEAL = np.array([1.05, 1.0, 0.9, 0.85]), np.array([1.0, 1.3, 2.3])
QUOTA_MULTIPLE, QUOTA_GROWTH, QUOTA_NOISE = 1.0, (0.02, 0.04), 0.08  # x team median, per quarter
NPS_PER_ACCOUNT, NPS_DELAY = 1.5, 14 * DAY  # responses per account with a win, first one after
NPS_SHARE = np.array([[.29, .30, .41], [.24, .30, .46], [.20, .30, .50]])  # detractor/passive/promoter
NPS_WITHIN = [np.array([1, 1, 2, 3, 5, 11, 17]) / 40, np.array([.45, .55]), np.array([.55, .45])]
NPS_SCORES = np.hstack([NPS_SHARE[:, [k]] * within for k, within in enumerate(NPS_WITHIN)])  # 0..10
MONTH = 30.4375 * DAY
CHURN_BY_SEGMENT, CONTRACTION = np.array([0.02, 0.015, 0.012]), 0.01  # monthly hazards
CONTRACTION_SHARE = (0.10, 0.40)  # of the current MRR
NEW, EXPANSION, CONTRACTED, CHURN = range(4)  # event types, in their order at equal times
TOUCH_MIX = np.array([  # activity type shares (call, email, meeting) per kind of touch
    [.35, .25, .40], [.42, .33, .25],  # opportunity: first touch, later touches
    [.50, .50, .00], [.45, .45, .10]])  # lead: first follow-up, later touches
POOLS = {"region": REGIONS, "team": [t[0] for t in TEAMS], "country": [c[0] for c in COUNTRIES],
         "industry": ["Software", "Financial Services", "Healthcare", "Manufacturing", "Retail",
                      "Education", "Logistics", "Media"],
         "segment": ["SMB", "Mid-Market", "Enterprise"],
         "lead_source": ["inbound", "outbound", "referral", "partner", "event"],
         "status": ["new", "mql", "sql", "converted", "disqualified"],
         "stage": ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"],
         "product": ["Starter", "Professional", "Enterprise", "Analytics Add-on"],
         "deal_type": ["new_business", "expansion", "renewal"], "activity_type": ["call", "email", "meeting"],
         "event_type": ["new", "expansion", "contraction", "churn"]}
TS, DATE, I64, F64 = pa.timestamp("us"), pa.date32(), pa.int64(), pa.float64()
STR, BOOL = pa.string(), pa.bool_()
SCHEMAS = {name: pa.schema(fields) for name, fields in {
    "reps": [("rep_id", I64), ("rep_name", STR), ("region", STR), ("team", STR), ("manager", STR),
             ("hired_at", DATE), ("quarterly_quota", F64)],
    "accounts": [("account_id", I64), ("account_name", STR), ("industry", STR), ("segment", STR),
                 ("country", STR), ("region", STR), ("owner_rep_id", I64), ("created_at", DATE)],
    "leads": [("lead_id", I64), ("created_at", TS), ("lead_source", STR), ("owner_rep_id", I64),
              ("status", STR), ("mql_at", TS), ("sql_at", TS), ("converted_at", TS),
              ("first_response_at", TS)],
    "opportunities": [("opportunity_id", I64), ("account_id", I64), ("owner_rep_id", I64), ("lead_id", I64),
                      ("created_at", TS), ("closed_at", TS), ("stage", STR), ("amount", F64),
                      ("lead_source", STR), ("product", STR), ("deal_type", STR)],
    "activities": [("activity_id", I64), ("rep_id", I64), ("account_id", I64), ("opportunity_id", I64),
                   ("lead_id", I64), ("activity_type", STR), ("occurred_at", TS), ("is_follow_up", BOOL),
                   ("email_opened", BOOL), ("email_clicked", BOOL), ("meeting_attended", BOOL),
                   ("duration_minutes", pa.int32())],
    "quotas": [("rep_id", I64), ("quarter_start", DATE), ("quota", F64)],
    "nps_responses": [("response_id", I64), ("account_id", I64), ("responded_at", TS), ("score", pa.int32())],
    "subscriptions": [("subscription_id", I64), ("account_id", I64), ("product", STR), ("started_at", TS),
                      ("cancelled_at", TS), ("initial_mrr", F64)],
    "subscription_events": [("event_id", I64), ("subscription_id", I64), ("account_id", I64),
                            ("event_at", TS), ("event_type", STR), ("mrr_delta", F64), ("product", STR)],
    "mrr_snapshots": [("snapshot_date", DATE), ("account_id", I64), ("mrr", F64)]}.items()}
TIME_COLUMN = {"leads": "created_at", "opportunities": "created_at", "activities": "occurred_at"}
# Categorical columns are dictionary-encoded in memory and in the files; as no Arrow schema
# is stored in the files, readers see the plain types of SCHEMAS.
MEMORY_SCHEMAS = {name: pa.schema([f.with_type(pa.dictionary(pa.int8(), STR)) if f.name in POOLS else f
                                   for f in schema]) for name, schema in SCHEMAS.items()}

Cols = dict[str, np.ndarray]
Rng = np.random.Generator


class Calendar:
    """Daily intensity over the period; the 'mass' of a moment is the intensity up to it."""

    def __init__(self, start: date, months: int) -> None:
        first, self.start_date = np.datetime64(start, "D"), start
        last = (np.datetime64(start, "M") + months).astype("datetime64[D]") + (start.day - 1)
        self.n_days = int((last - first).astype(np.int64))
        self.start = int(first.astype("datetime64[s]").astype(np.int64))
        self.end = self.start + self.n_days * DAY
        dates = first + np.arange(self.n_days)
        weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        self.weight = ((1 + 0.3 * np.arange(self.n_days) / self.n_days) * np.where(weekday >= 5, 0.12, 1.0)
                       * MONTH_FACTOR[dates.astype("datetime64[M]").astype(np.int64) % 12])
        self.cum = np.concatenate([[0.0], np.cumsum(self.weight)])
        bins = np.linspace(0.0, self.cum[-1], 2**16 + 1)  # lookup table: mass bin -> day
        self.day_of_bin = np.minimum(np.searchsorted(self.cum, bins, side="right") - 1, self.n_days - 1)

    def mass(self, t: np.ndarray) -> np.ndarray:
        day = np.minimum((t - self.start) // DAY, self.n_days - 1)
        return self.cum[day] + (t - self.start - day * DAY) / DAY * self.weight[day]

    def moment(self, rng: Rng, mass: np.ndarray, lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
        """A business hour on the day holding each mass, clipped to [lo, hi]."""
        day = self.day_of_bin[(mass * (2**16 / self.cum[-1])).astype(np.int64)]
        return np.clip(self.start + day * DAY + business_time(rng, len(mass)), lo, hi)

    def sample(self, rng: Rng, lo: int, hi: int, n: int) -> np.ndarray:
        """n moments in [lo, hi] following the daily intensity."""
        a, b = self.mass(np.array([lo, hi]))
        return self.moment(rng, a + rng.random(n) * (b - a), lo, hi)

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        return self.start + self.day_of_bin[(q * 2**16).astype(np.int64)] * DAY


class Groups:
    """Items grouped by a small integer, to draw random members of given groups."""

    def __init__(self, group_of_item: np.ndarray) -> None:
        self.members = np.argsort(group_of_item, kind="stable")
        self.count = np.bincount(group_of_item)
        self.first = np.cumsum(self.count) - self.count

    def pick(self, rng: Rng, groups: np.ndarray) -> np.ndarray:
        offset = (rng.random(len(groups)) * self.count[groups]).astype(np.int64)
        return self.members[self.first[groups] + offset]


def business_time(rng: Rng, n: int) -> np.ndarray:
    """Seconds into the day, triangular between 08:00 and 18:00."""
    return 8 * HOUR + rng.integers(0, 5 * HOUR, n) + rng.integers(0, 5 * HOUR, n)


def business_moment(rng: Rng, t: np.ndarray) -> np.ndarray:
    """A business hour on t's day; weekend days are mostly moved to Monday."""
    day = t // DAY
    weekday = (day + 3) % 7
    day += np.where((weekday >= 5) & (rng.random(len(t)) < 0.85), 7 - weekday, 0)
    return day * DAY + business_time(rng, len(t))


def time_order(t: np.ndarray, origin: int) -> np.ndarray:
    """Stable argsort of times in [origin, origin + 2**32) by two 16-bit radix passes."""
    offset = t - origin
    order = np.argsort((offset & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((offset[order] >> 16).astype(np.uint16), kind="stable")]


def lognormal(rng: Rng, median: float | np.ndarray, sigma: float, n: int, unit: int) -> np.ndarray:
    return (rng.lognormal(np.log(median), sigma, n) * unit).astype(np.int64)


def choose(rng: Rng, p: list[float] | np.ndarray, n: int, null_rate: float = 0.0) -> np.ndarray:
    codes = rng.choice(len(p), n, p=np.asarray(p) / np.sum(p))
    return np.where(rng.random(n) < null_rate, -1, codes) if null_rate else codes


def choose_by(rng: Rng, groups: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Per element, a category code drawn from its group's row of probabilities."""
    out = np.empty(len(groups), np.int64)
    for g, p in enumerate(matrix):
        selected = groups == g
        out[selected] = rng.choice(len(p), selected.sum(), p=p / p.sum())
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
    return pa.array(values * (1_000_000 if pa.types.is_timestamp(typ) else 1), typ, mask=values < 0)


def to_table(name: str, cols: Cols) -> pa.Table:
    schema = MEMORY_SCHEMAS[name]
    return pa.Table.from_arrays([as_arrow(f.name, cols[f.name], f.type) for f in schema], schema=schema)


def make_reps(rng: Rng, n: int, start: date) -> Cols:
    counts = np.maximum(1, np.floor(n * REGION_SHARE)).astype(np.int64)
    counts[0] += n - counts.sum()
    region = rng.permutation(np.repeat(np.arange(len(REGIONS)), counts))
    team = choose_by(rng, region, group_matrix(TEAMS, len(REGIONS)))
    code = rng.choice(len(FIRST) * len(LAST), n + len(TEAMS), replace=False)  # reps, then managers
    names = join(pa.array(FIRST).take(code // len(LAST)), " ", pa.array(LAST).take(code % len(LAST)))
    low, high = (np.array([t[i] for t in TEAMS])[team] for i in (3, 4))
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


def make_accounts(rng: Rng, n: int, reps_by_region: Groups, start: date) -> Cols:
    region, segment = choose(rng, REGION_SHARE, n), choose(rng, [.55, .30, .15], n)
    return {"account_id": np.arange(1, n + 1), "account_name": account_names(rng, n),
            "industry": choose(rng, [.22, .16, .12, .14, .12, .07, .09, .08], n), "segment": segment,
            "country": choose_by(rng, region, group_matrix(COUNTRIES, len(REGIONS))), "region": region,
            "owner_rep_id": reps_by_region.pick(rng, region) + 1,
            "created_at": np.datetime64(start, "D") - rng.integers(30, 8 * 365, n),
            "pull_group": segment * len(TIER_PULL) + choose(rng, TIER_SHARE, n)}


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
    created = cal.sample(rng, lo, hi - 1, n)
    created = created[time_order(created, lo)]
    mql = funnel_step(rng, created, 0.37, 4.0, cal.end)
    sql = funnel_step(rng, mql, 0.47, 12.0, cal.end)
    converted = funnel_step(rng, sql, 0.31, 18.0, cal.end)
    response = created + lognormal(rng, 3.0, 1.6, n, HOUR)
    answered = (rng.random(n) < np.where(mql >= 0, 0.96, 0.79)) & (response < cal.end)
    last = np.maximum(np.maximum(created, mql), sql)
    status = np.select([converted >= 0, sql >= 0, mql >= 0], [3, 2, 1], 0)
    stalled = (status < 3) & (cal.end - last > 30 * DAY)
    status[stalled & (rng.random(n) < np.where(status == 0, 0.75, 0.5))] = 4  # disqualified
    life_end = np.where(converted >= 0, converted, np.minimum(last + 45 * DAY, cal.end - 1))
    return {"lead_id": first_id + np.arange(n), "created_at": created,
            "lead_source": choose(rng, [.45, .20, .10, .10, .15], n, null_rate=0.01),
            "owner_rep_id": rng.integers(1, n_reps + 1, n), "status": status, "mql_at": mql, "sql_at": sql,
            "converted_at": converted, "first_response_at": np.where(answered, response, -1),
            "life_end": np.maximum(life_end, response)}


def opportunity_seeds(rng: Rng, cal: Calendar, leads: Cols) -> Cols:
    """Converted leads; each becomes an opportunity shortly after its conversion."""
    conv = np.flatnonzero(leads["converted_at"] >= 0)
    converted_at = leads["converted_at"][conv]
    after = converted_at + lognormal(rng, 1.0, 1.0, len(conv), DAY)
    return {"lead_id": leads["lead_id"][conv], "lead_source": leads["lead_source"][conv],
            "created_at": np.where(after < cal.end, after, converted_at)}


def pull_to_quarter_end(rng: Rng, close: np.ndarray, created: np.ndarray, won: np.ndarray) -> np.ndarray:
    """Move part of the closes into the last days of their quarter (most in Q4)."""
    next_quarter = (close.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) // 3 + 1) * 3
    quarter_end = next_quarter.astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)
    q4 = next_quarter % 12 == 0
    back = 1 + rng.exponential(np.where(q4, 5.0, 3.0)).astype(np.int64)
    target = quarter_end - back * DAY + business_time(rng, len(close))
    chance = np.where(won, 0.55, 0.35) * np.where(q4, 1.3, 1.0)
    pulled = ((quarter_end - close < 45 * DAY) & (rng.random(len(close)) < chance)
              & (target > close) & (target - created <= 180 * DAY))
    return np.where(pulled, target, close)


def make_opportunities(rng: Rng, sim: Simulation, seeds: Cols, n_direct: int, lo: int, hi: int) -> Cols:
    """`n_direct` opportunities created in [lo, hi) plus one per due lead seed, sorted by time."""
    cal, accounts = sim.cal, sim.accounts
    created = np.concatenate([cal.sample(rng, lo, hi - 1, n_direct), seeds["created_at"]])
    order = time_order(created, lo)
    created, n = created[order], len(created)
    lead_id, lead_source = (np.concatenate([np.full(n_direct, -1), seeds[k]])[order]
                            for k in ("lead_id", "lead_source"))
    from_lead = lead_id >= 0
    account = sim.accounts_by_pull.pick(rng, choose(rng, sim.pull_share, n))
    region, segment = accounts["region"][account], accounts["segment"][account]
    other_rep = sim.reps_by_region.pick(rng, region) + 1
    owner = np.where(rng.random(n) < 0.85, accounts["owner_rep_id"][account], other_rep)
    deal = np.where(from_lead, 0, choose(rng, [.50, .30, .20], n))
    source = np.where(from_lead, lead_source, choose(rng, [.10, .50, .12, .16, .12], n, null_rate=0.01))
    product = choose_by(rng, segment, PRODUCT_BY_SEGMENT)
    price = PRICE[product] * PRICE_BY_SEGMENT[segment] * PRICE_BY_DEAL[deal]
    amount = np.round(price * rng.lognormal(0.0, 0.55, n), 2)
    amount[rng.random(n) < 0.005] = np.nan
    cycle = lognormal(rng, CYCLE_DAYS[product] * np.where(segment == 2, 1.3, 1.0), 0.55, n, DAY)
    won = rng.random(n) < 0.2 * WIN_BY_SOURCE[source] * WIN_BY_REGION[region] * WIN_BY_DEAL[deal]
    close = np.clip(business_moment(rng, created + cycle), created + 5 * DAY, created + 180 * DAY)
    close = pull_to_quarter_end(rng, close, created, won)
    is_open = close >= cal.end
    progress = (cal.end - created) / (close - created) * 4 + rng.normal(0.0, 0.5, n)
    return {"opportunity_id": sim.next_id["opportunities"] + np.arange(n), "account_id": account + 1,
            "owner_rep_id": owner, "lead_id": lead_id, "created_at": created,
            "closed_at": np.where(is_open, -1, close), "amount": amount, "lead_source": source,
            "stage": np.where(is_open, np.clip(progress, 0, 3).astype(np.int64), np.where(won, 4, 5)),
            "product": product, "deal_type": deal, "life_end": np.where(is_open, cal.end - 1, close)}


def touch_parents(rng: Rng, cal: Calendar, first_at: np.ndarray, life_end: np.ndarray,
                  extra_mean: np.ndarray, **ids: np.ndarray) -> Cols:
    """Records touched at `first_at`, then at the points of a Poisson process in mass with
    `extra_mean` expected points until `life_end`; `next_mass` is the next point (inf: none)."""
    start, stop = cal.mass(first_at), cal.mass(life_end)
    rate = extra_mean / np.maximum(stop - start, 1e-9)
    following = start + rng.exponential(1.0, len(start)) / rate
    return ids | {"first_at": first_at, "life_end": life_end, "rate": rate, "stop_mass": stop,
                  "next_mass": np.where(following <= stop, following, np.inf)}


def later_touches(rng: Rng, parents: Cols, until: float) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and mass of each later touch before mass `until`; advances `next_mass`."""
    owners, masses = [np.empty(0, np.int64)], [np.empty(0)]
    due = np.flatnonzero(parents["next_mass"] < until)
    while len(due):  # one round per touch of the busiest parent
        owners.append(due)
        masses.append(parents["next_mass"][due])
        following = masses[-1] + rng.exponential(1.0, len(due)) / parents["rate"][due]
        parents["next_mass"][due] = np.where(following <= parents["stop_mass"][due], following, np.inf)
        due = due[parents["next_mass"][due] < until]
    return np.concatenate(owners), np.concatenate(masses)


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


def make_activities(rng: Rng, cal: Calendar, parents: Cols, lo: int, hi: int, first_id: int) -> Cols:
    """The first and later touches of the parents that fall in [lo, hi), sorted by time."""
    p = parents
    first = np.flatnonzero((p["first_at"] >= lo) & (p["first_at"] < hi))
    busy, mass = later_touches(rng, p, cal.mass(np.array([hi]))[0])
    later_at = cal.moment(rng, mass, np.maximum(p["first_at"][busy], lo),
                          np.minimum(p["life_end"][busy], hi - 1))
    at = np.concatenate([p["first_at"][first], later_at])
    order = time_order(at, lo)
    owner = np.concatenate([first, busy])[order]
    later, is_lead = order >= len(first), p["lead_id"][owner] >= 0
    kind = choose_by(rng, 2 * is_lead + later, TOUCH_MIX)
    return {k: p[k][owner] for k in ("rep_id", "account_id", "opportunity_id", "lead_id")} | \
        activity_details(rng, kind) | {"activity_id": first_id + np.arange(len(at)), "activity_type": kind,
                                       "occurred_at": at[order], "is_follow_up": is_lead | later}


def merge(*parts: Cols) -> Cols:
    """Concatenate column dicts with the same keys; empty dicts are skipped."""
    parts = [part for part in parts if part]
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


class Simulation:
    """Reps and accounts, and the fact tables generated from them window by window."""

    def __init__(self, rng: Rng, cal: Calendar, opportunities: int) -> None:
        self.rng, self.cal = rng, cal
        self.reps = make_reps(rng, int(np.clip(opportunities // 100, 12, 2000)), cal.start_date)
        self.reps_by_region = Groups(self.reps["region"])
        self.accounts = make_accounts(rng, int(np.clip(opportunities // 4, 50, 500_000)),
                                      self.reps_by_region, cal.start_date)
        self.accounts_by_pull = Groups(self.accounts["pull_group"])
        pull = np.outer(SEGMENT_PULL, TIER_PULL).ravel()[:len(self.accounts_by_pull.count)]
        self.pull_share = self.accounts_by_pull.count * pull
        self.seeds: Cols = {}  # converted leads whose opportunity is created in a later window
        self.parents: Cols = {}  # records that may still be touched in a later window
        self.next_id = dict.fromkeys(TIME_COLUMN, 1)

    def window(self, lo: int, hi: int, n: int) -> dict[str, Cols]:
        """Leads created in [lo, hi), n opportunities and the touches falling there."""
        leads = make_leads(self.rng, self.cal, 3 * n, lo, hi, len(self.reps["rep_id"]), self.next_id["leads"])
        opps = self.opportunities(leads, n, lo, hi)
        parents = merge(self.parents, *self.new_parents(leads, opps))
        activities = make_activities(self.rng, self.cal, parents, lo, hi, self.next_id["activities"])
        alive = (parents["next_mass"] < np.inf) | (parents["first_at"] >= hi)
        self.parents = {k: v[alive] for k, v in parents.items()}
        tables = {"leads": leads, "opportunities": opps, "activities": activities}
        for name, column in TIME_COLUMN.items():
            self.next_id[name] += len(tables[name][column])
        return tables

    def opportunities(self, leads: Cols, n: int, lo: int, hi: int) -> Cols:
        """n opportunities: one per converted lead due before `hi`, the rest created directly."""
        seeds = merge(self.seeds, opportunity_seeds(self.rng, self.cal, leads))
        due = seeds["created_at"] < hi
        self.seeds = {k: v[~due] for k, v in seeds.items()}
        return make_opportunities(self.rng, self, {k: v[due] for k, v in seeds.items()},
                                  max(n - int(due.sum()), 0), lo, hi)

    def new_parents(self, leads: Cols, opps: Cols) -> tuple[Cols, Cols]:
        """The new opportunities and followed-up leads, as records to touch."""
        life = opps["life_end"] - opps["created_at"]
        on_opps = touch_parents(self.rng, self.cal, opps["created_at"], opps["life_end"], life / 45 / DAY,
                                rep_id=opps["owner_rep_id"], account_id=opps["account_id"],
                                opportunity_id=opps["opportunity_id"], lead_id=np.full(len(life), -1))
        answered = {k: v[leads["first_response_at"] >= 0] for k, v in leads.items()}
        no_id = np.full(len(answered["lead_id"]), -1)
        on_leads = touch_parents(self.rng, self.cal, answered["first_response_at"], answered["life_end"],
                                 np.where(answered["mql_at"] >= 0, 0.4, 0.03),
                                 rep_id=answered["owner_rep_id"],
                                 account_id=no_id, opportunity_id=no_id, lead_id=answered["lead_id"])
        return on_opps, on_leads


def derived_rng(seed: int, stream: int) -> Rng:
    """A random stream of its own per derived table, independent of the main one."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream,))))


def month_of(t: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of times in seconds."""
    return t.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def month_start(month: np.ndarray) -> np.ndarray:
    """Seconds at the start of months since 1970-01."""
    return month.astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)


def between(rng: Rng, lo: np.ndarray, hi: int) -> np.ndarray:
    """A business hour on a random day of [lo, hi), strictly between lo and hi."""
    days = (hi - 1) // DAY - lo // DAY + 1
    day = lo // DAY + (rng.random(len(lo)) * days).astype(np.int64)
    return np.clip(day * DAY + business_time(rng, len(lo)), lo + 1, hi - 1)


def quarters(cal: Calendar) -> tuple[int, int]:
    """The period's first quarter (since 1970) and its number of quarters."""
    first, last = month_of(np.array([cal.start, cal.end - 1])) // 3
    return int(first), int(last - first + 1)


class Wins:
    """What the derived tables need of the won opportunities, gathered window by window: the
    won revenue per rep and quarter, each account's first win, and the won new-business and
    expansion deals with an amount (compact; amounts in cents)."""

    def __init__(self, cal: Calendar, n_reps: int, n_accounts: int) -> None:
        self.origin, (self.first_quarter, self.n_quarters) = cal.start, quarters(cal)
        self.revenue = np.zeros(n_reps * self.n_quarters)  # by rep, then quarter
        self.first_win = np.full(n_accounts + 1, cal.end)  # by account_id; cal.end: none
        self.parts: list[Cols] = []

    def add(self, opps: Cols) -> None:
        won = opps["stage"] == 4
        rep, closed, amount = opps["owner_rep_id"][won], opps["closed_at"][won], opps["amount"][won]
        cell = (rep - 1) * self.n_quarters + month_of(closed) // 3 - self.first_quarter
        self.revenue += np.bincount(cell, np.nan_to_num(amount), len(self.revenue))
        np.minimum.at(self.first_win, opps["account_id"][won], closed)
        deal = won & ~np.isnan(opps["amount"]) & (opps["deal_type"] < 2)
        self.parts.append({"account_id": opps["account_id"][deal].astype(np.int32),
                           "closed_at": opps["closed_at"][deal],
                           "cents": np.rint(opps["amount"][deal] * 100).astype(np.int64),
                           "product": opps["product"][deal].astype(np.int8),
                           "expansion": opps["deal_type"][deal] == 1})

    def deals(self) -> Cols:
        """The deals sorted by closed_at, ties in opportunity order."""
        deals, self.parts = merge(*self.parts), []
        order = time_order(deals["closed_at"], self.origin)
        return {k: v[order] for k, v in deals.items()}


def make_quotas(rng: Rng, cal: Calendar, reps: Cols, wins: Wins) -> Cols:
    """A quota per rep and quarter from the rep's hiring quarter, sorted by quarter: the rep's
    quarterly_quota rescaled so that the team's quotas centre on the median quarterly won revenue
    of its reps (a run rate, not one quarter's actuals), growing 2-4% a quarter, with noise."""
    first, n_quarters = quarters(cal)
    n_reps = len(reps["rep_id"])
    hired = np.maximum(reps["hired_at"].astype("datetime64[M]").astype(np.int64) // 3 - first, 0)
    quarter, rep = np.nonzero(np.arange(n_quarters)[:, None] >= hired)
    revenue = wins.revenue[rep * n_quarters + quarter]
    team, quota = reps["team"][rep], reps["quarterly_quota"][rep]
    scale = np.zeros(len(TEAMS))
    for t in np.unique(team):
        scale[t] = np.median(revenue[team == t]) / quota[team == t].mean()
    scale[scale <= 0] = np.median(revenue) / quota.mean()
    growth = (1 + rng.uniform(*QUOTA_GROWTH, n_reps))[rep] ** (quarter - (n_quarters - 1) / 2)
    quota = quota * scale[team] * QUOTA_MULTIPLE * growth * rng.lognormal(0.0, QUOTA_NOISE, len(rep))
    return {"rep_id": rep + 1, "quota": np.maximum(np.round(quota / 1000), 1) * 1000,
            "quarter_start": ((first + quarter) * 3).astype("datetime64[M]").astype("datetime64[D]")}


def make_nps(rng: Rng, cal: Calendar, accounts: Cols, wins: Wins) -> Cols:
    """Survey responses of accounts from NPS_DELAY after their first win, a Poisson process
    following the daily intensity with NPS_PER_ACCOUNT responses per account with a win on average."""
    lo = wins.first_win + NPS_DELAY
    account, n_won = np.flatnonzero(lo < cal.end), int((wins.first_win < cal.end).sum())
    lo = lo[account]
    base, span = cal.mass(lo), cal.mass(np.array([cal.end]))[0] - cal.mass(lo)
    count = rng.poisson(NPS_PER_ACCOUNT * n_won * span / max(span.sum(), 1e-9))
    owner = np.repeat(np.arange(len(account)), count)
    at = cal.moment(rng, base[owner] + rng.random(len(owner)) * span[owner], lo[owner], cal.end - 1)
    order = time_order(at, cal.start)
    account = account[owner[order]]
    return {"response_id": np.arange(1, len(at) + 1), "account_id": account, "responded_at": at[order],
            "score": choose_by(rng, accounts["segment"][account - 1], NPS_SCORES)}


class Subscriptions:
    """One subscription per won new-business deal, simulated month by month in exact cents:
    won expansion deals add to a live subscription of their account, contractions and churn
    follow monthly hazards. Carried from month to month are each subscription's MRR and
    cancellation time, the live subscriptions and each account's MRR."""

    def __init__(self, rng: Rng, accounts: Cols, deals: Cols) -> None:
        self.rng = rng
        new, up = ~deals["expansion"], deals["expansion"]
        self.account, self.product, self.start = (deals[k][new] for k in ("account_id", "product",
                                                                          "closed_at"))
        self.initial = np.maximum((deals["cents"][new] + 6) // 12, 1)  # amount / 12 in cents, half up
        self.churn = CHURN_BY_SEGMENT[accounts["segment"][self.account - 1]]
        self.cancel, self.mrr = np.full(len(self.start), -1), np.zeros(len(self.start), np.int64)
        self.hazard_at = np.full(len(self.start), -1)
        self.by_account = np.argsort(self.account, kind="stable")  # by account, then start
        self.count = np.bincount(self.account, minlength=len(accounts["account_id"]) + 1)
        self.first = np.cumsum(self.count) - self.count
        self.up = {k: deals[k][up] for k in ("account_id", "closed_at", "product")} | {
            "delta": np.maximum((deals["cents"][up] + 6) // 12, 1)}
        self.live = np.empty(0, np.int64)
        self.account_mrr = np.zeros(len(self.count), np.int64)
        self.next_event = 1

    def month(self, lo: int, hi: int) -> Cols:
        """The events in [lo, hi), sorted by time; updates the MRR of subscriptions and accounts."""
        started = np.arange(*np.searchsorted(self.start, [lo, hi]))
        self.live = np.concatenate([self.live, started])
        self.mrr[started] = self.initial[started]
        hit, at, kind = self.hazards(lo, hi)
        self.cancel[hit[kind == CHURN]] = at[kind == CHURN]
        self.hazard_at[hit] = at
        sub, up_at, up_delta = self.expansions(lo, hi)
        early = (self.hazard_at[sub] < 0) | (up_at <= self.hazard_at[sub])
        np.add.at(self.mrr, sub[early], up_delta[early])
        self.hazard_at[hit] = -1
        fraction = self.rng.uniform(*CONTRACTION_SHARE, len(hit))
        delta = np.where(kind == CHURN, -self.mrr[hit], -np.rint(fraction * self.mrr[hit]).astype(np.int64))
        hit, at, kind, delta = (v[delta < 0] for v in (hit, at, kind, delta))
        self.mrr[hit] += delta
        np.add.at(self.mrr, sub[~early], up_delta[~early])
        assert (self.mrr[hit[kind == CHURN]] == 0).all()
        self.live = self.live[self.cancel[self.live] < 0]
        return self.events(np.concatenate([started, sub, hit]),
                           np.concatenate([self.start[started], up_at, at]),
                           np.concatenate([np.full(len(started), NEW), np.full(len(sub), EXPANSION), kind]),
                           np.concatenate([self.initial[started], up_delta, delta]))

    def hazards(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Live subscriptions hit by a churn or a contraction in [lo, hi) (one at most), when, which."""
        begin = np.maximum(self.start[self.live], lo)
        exposure = np.maximum(hi - begin - 1, 0) / MONTH
        u = self.rng.random(len(self.live))
        churn = self.churn[self.live] * exposure
        hit = u < churn + CONTRACTION * exposure
        kind = np.where(u[hit] < churn[hit], CHURN, CONTRACTED)
        return self.live[hit], between(self.rng, begin[hit], hi), kind

    def expansions(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The expansion deals closed in [lo, hi) that find a live subscription of their account
        (the latest started of the same product, else the latest started): subscription, time, delta."""
        first, last = np.searchsorted(self.up["closed_at"], [lo, hi])
        pick = first + np.flatnonzero(self.count[self.up["account_id"][first:last]] > 0)
        up = {k: v[pick] for k, v in self.up.items()}
        account, at = up["account_id"], up["closed_at"]
        count = self.count[account]
        owner = np.repeat(np.arange(len(account)), count)
        offset = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
        sub = self.by_account[self.first[account][owner] + offset]
        cancel = self.cancel[sub]
        alive = (self.start[sub] <= at[owner]) & ((cancel < 0) | (cancel > at[owner]))
        key = np.where(alive, (self.product[sub] == up["product"][owner]) * len(self.start) + sub, -1)
        best = np.maximum.reduceat(key, np.cumsum(count) - count) if len(key) else key
        found = best >= 0
        return best[found] % len(self.start), at[found], up["delta"][found]

    def events(self, sub: np.ndarray, at: np.ndarray, kind: np.ndarray, delta: np.ndarray) -> Cols:
        order = np.lexsort((sub, kind, at))
        sub, at, kind, delta = sub[order], at[order], kind[order], delta[order]
        np.add.at(self.account_mrr, self.account[sub], delta)
        first, self.next_event = self.next_event, self.next_event + len(sub)
        return {"event_id": np.arange(first, self.next_event), "subscription_id": sub + 1,
                "account_id": self.account[sub], "event_at": at, "event_type": kind,
                "mrr_delta": delta / 100, "product": self.product[sub]}

    def snapshot(self, day: np.datetime64) -> Cols:
        """Accounts with MRR at the end of `day`, given the events before its end."""
        account = np.flatnonzero(self.account_mrr > 0)
        return {"snapshot_date": np.full(len(account), day), "account_id": account,
                "mrr": self.account_mrr[account] / 100}

    def table(self) -> Cols:
        return {"subscription_id": np.arange(1, len(self.start) + 1), "account_id": self.account,
                "product": self.product, "started_at": self.start, "cancelled_at": self.cancel,
                "initial_mrr": self.initial / 100}


def parquet_options(schema: pa.Schema) -> dict:
    """zstd; dictionary pages for categories, delta encoding for integers and timestamps."""
    delta = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_temporal(f.type)]
    return {"compression": "zstd", "compression_level": 1, "store_schema": False,
            "use_dictionary": [f.name for f in schema if f.name in POOLS],
            "column_encoding": dict.fromkeys(delta, "DELTA_BINARY_PACKED")}


class TableWriter:
    """A Parquet file written from parts of any size, in row groups of up to ROW_GROUP rows."""

    def __init__(self, out: Path, name: str) -> None:
        self.name, self.parts, self.pending, self.rows = name, [], 0, 0
        self.writer = pq.ParquetWriter(out / f"{name}.parquet", MEMORY_SCHEMAS[name],
                                       **parquet_options(MEMORY_SCHEMAS[name]))

    def write(self, cols: Cols) -> None:
        self.parts.append(to_table(self.name, cols))
        self.pending += self.parts[-1].num_rows
        if self.pending >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.writer.write_table(pa.concat_tables(self.parts), ROW_GROUP)
        self.rows, self.parts, self.pending = self.rows + self.pending, [], 0

    def close(self) -> int:
        """Close the file; return its number of rows."""
        self.flush()
        self.writer.close()
        return self.rows


def write_once(out: Path, name: str, cols: Cols) -> int:
    writer = TableWriter(out, name)
    writer.write(cols)
    return writer.close()


def month_bounds(cal: Calendar) -> np.ndarray:
    """The period start, the month starts inside the period and the period end, in seconds."""
    first, last = month_of(np.array([cal.start, cal.end - 1]))
    return np.concatenate([[cal.start], month_start(np.arange(first + 1, last + 1)), [cal.end]])


def write_derived(out: Path, cal: Calendar, sim: Simulation, wins: Wins, seed: int) -> dict[str, int]:
    """Write the tables derived from reps, accounts and won deals, each from a random stream of
    its own; return their row counts."""
    rows = {"quotas": write_once(out, "quotas", make_quotas(derived_rng(seed, 1), cal, sim.reps, wins)),
            "nps_responses": write_once(out, "nps_responses",
                                        make_nps(derived_rng(seed, 2), cal, sim.accounts, wins))}
    subs = Subscriptions(derived_rng(seed, 3), sim.accounts, wins.deals())
    events, snapshots = TableWriter(out, "subscription_events"), TableWriter(out, "mrr_snapshots")
    bounds = month_bounds(cal)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        events.write(subs.month(lo, hi))
        if month_start(month_of(np.array([hi])))[0] == hi:  # a month ends: snapshot its last day
            snapshots.write(subs.snapshot(np.datetime64(hi // DAY - 1, "D")))
    return rows | {"subscriptions": write_once(out, "subscriptions", subs.table()),
                   "subscription_events": events.close(), "mrr_snapshots": snapshots.close()}


def generate(out_dir: str | Path, opportunities: int = 4000, seed: int = 7,
             start: date = date(2024, 1, 1), months: int = 24) -> dict[str, int]:
    """Write the tables as Parquet files into out_dir; return their row counts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cal = Calendar(start, months)
    sim = Simulation(np.random.Generator(np.random.PCG64(seed)), cal, opportunities)
    for name in ("reps", "accounts"):
        table = to_table(name, getattr(sim, name))
        pq.write_table(table, out / f"{name}.parquet", **parquet_options(table.schema))
    windows = max(1, -(-opportunities // CHUNK))
    bounds = cal.quantiles(np.linspace(0.0, 1.0, windows + 1))
    bounds[0], bounds[-1] = cal.start, cal.end
    sizes = np.diff(np.round(np.linspace(0, opportunities, windows + 1)).astype(np.int64))
    writers = {name: pq.ParquetWriter(out / f"{name}.parquet", MEMORY_SCHEMAS[name],
                                      **parquet_options(MEMORY_SCHEMAS[name])) for name in TIME_COLUMN}
    wins = Wins(cal, len(sim.reps["rep_id"]), len(sim.accounts["account_id"]))
    with ThreadPoolExecutor(len(writers)) as pool:  # one thread per file, overlapping generation
        jobs = []
        for n, lo, hi in zip(sizes, bounds[:-1], bounds[1:]):
            tables = sim.window(int(lo), int(hi), int(n))
            wins.add(tables["opportunities"])
            for job in jobs:
                job.result()
            jobs = [pool.submit(writers[name].write_table, to_table(name, cols), ROW_GROUP)
                    for name, cols in tables.items()]
        for job in jobs:
            job.result()
    for writer in writers.values():
        writer.close()
    del tables
    sim.parents, sim.seeds = {}, {}  # the period is over: free the carried records
    derived = write_derived(out, cal, sim, wins, seed)
    derived |= write_more(out, cal, seed)
    return {"reps": len(sim.reps["rep_id"]), "accounts": len(sim.accounts["account_id"])} | {
        name: next_id - 1 for name, next_id in sim.next_id.items()} | derived


def write_more(out: Path, cal: Calendar, seed: int) -> dict[str, int]:
    """The tables the later KPIs read (outreach and pipeline stages; team and accounts), each
    from the files written above and a random stream of its own, so nothing above depends on
    them; their row counts."""
    import gen_outreach
    import gen_team

    return gen_outreach.write(out, cal, derived_rng(seed, 10)) | \
        gen_team.write(out, cal, derived_rng(seed, 20))


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
        print(f"{name:<20}{rows:>12,}  {args.out / (name + '.parquet')}")


if __name__ == "__main__":
    main()
