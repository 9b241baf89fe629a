"""The tables of the outreach (SDR/BDR) and pipeline-stage KPIs, derived from the CRM sample.

Called by generate.py's ``write_more`` once reps, accounts, leads, opportunities and
activities are written: it reads those Parquet files back, in batches of rows, and writes
six new tables beside them (nothing it writes changes the tables it reads):

* replies: prospects' answers to outreach. Each call or email to a lead is answered with a
  probability that grows with how far the lead got (a converted lead answers about three
  times as often as a new one); one answer in three starts a thread with a second answer a
  few days later, whose sentiment (positive / neutral / negative) stays the same half of the
  time. A reply carries the touch it answers (activity_id), the rep who made the touch, the
  prospect (lead_id) and the prospect's company: the account of the lead's opportunity if it
  has one, else an account of the lead owner's region picked by a hash of the lead id, so all
  of a prospect's replies name the same company. Positive answers book a meeting about half
  of the time (meeting_booked_at).
* lead_handoffs: one row per MQL an SDR passed to an account executive (AE). Every lead that
  became an SQL was passed and accepted before its SQL date; about half of the other MQLs
  are passed a few days after qualifying, and a little under half of those are accepted
  (sales accepted leads, SALs); the others stay unaccepted (accepted_at null).
* opportunity_stages: the dates each opportunity reached stage one (qualified, discovery
  done) and stage two (solution proposed). Open deals at qualification have reached stage
  one, at proposal or negotiation both; every won deal reached both; a lost deal reached
  stage one 65% of the time and then stage two 55% of the time. Dates lie between creation
  and close (or the period end).
* referrals: introductions sent by customer accounts to the rep who owns them: one a few days
  before each referral lead is created, and 45% more that never became a lead (lead_id null).
* deal_touches: which touches count for which deal: the activities logged on the opportunity
  up to its close, and those on the lead it came from (via = 'opportunity' or 'lead').
* lifecycle_stages: each lead's lifecycle history, one row per stage it entered (lead, mql,
  sql, opportunity, customer, disqualified) with entered_at and exited_at (the next stage's
  entered_at; null while current). 'opportunity' is entered at the lead's conversion,
  'customer' when its opportunity is won; a lost opportunity, or a lead disqualified (some
  12 days after its last step), ends in 'disqualified'.

Every step is vectorised over a batch of rows (numpy); only per-id arrays of the
opportunities and small per-lead arrays (status, region) are held whole, so memory grows
with the number of records by a few bytes each. Randomness comes from the stream handed in,
split into one stream per table, so each table is reproducible on its own.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HOUR, DAY, US = 3_600, 86_400, 1_000_000
BATCH = 500_000  # rows read at a time
TS = pa.timestamp("us")
STATUS = ["new", "mql", "sql", "converted", "disqualified"]
STAGE = ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
SENTIMENT = ["positive", "neutral", "negative"]
LIFECYCLE = ["lead", "mql", "sql", "opportunity", "customer", "disqualified"]
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
REPLY_BY_TYPE = {"call": 0.06, "email": 0.11}  # chance a touch to a lead is answered
REPLY_BY_STATUS = np.array([0.7, 1.2, 1.6, 2.2, 0.8])  # x, by lead status
SENTIMENT_BY_STATUS = np.array([[.30, .35, .35], [.45, .35, .20], [.55, .30, .15],
                                [.65, .25, .10], [.20, .30, .50]])
MEETING_BY_SENTIMENT = np.array([0.50, 0.12, 0.02])
THREAD, SAME_SENTIMENT = 0.35, 0.5
HASH = np.uint64(2654435761)

SCHEMAS = {
    "replies": [("reply_id", pa.int64()), ("activity_id", pa.int64()), ("lead_id", pa.int64()),
                ("account_id", pa.int64()), ("rep_id", pa.int64()), ("replied_at", TS),
                ("sentiment", pa.string()), ("meeting_booked_at", TS)],
    "lead_handoffs": [("lead_id", pa.int64()), ("sdr_rep_id", pa.int64()), ("ae_rep_id", pa.int64()),
                      ("passed_at", TS), ("accepted_at", TS)],
    "opportunity_stages": [("opportunity_id", pa.int64()), ("stage1_at", TS), ("stage2_at", TS)],
    "referrals": [("referral_id", pa.int64()), ("account_id", pa.int64()), ("rep_id", pa.int64()),
                  ("lead_id", pa.int64()), ("sent_at", TS)],
    "deal_touches": [("opportunity_id", pa.int64()), ("activity_id", pa.int64()), ("via", pa.string())],
    "lifecycle_stages": [("lead_id", pa.int64()), ("lifecycle_stage", pa.string()),
                         ("entered_at", TS), ("exited_at", TS)]}
CATEGORIES = {"sentiment": SENTIMENT, "via": ["opportunity", "lead"], "lifecycle_stage": LIFECYCLE}
Cols = dict[str, np.ndarray]


def write(out: Path, cal, rng) -> dict[str, int]:
    """Write the six tables into ``out`` from the files there; return their row counts."""
    out = Path(out)
    world = World(out)
    streams = rng.spawn(5)
    rows = {"opportunity_stages": write_stages(out, cal, streams[0], world)}
    rows |= write_lead_tables(out, cal, streams[1:4], world)
    rows |= write_touch_tables(out, cal, streams[4], world)
    return rows


class World:
    """What the derived tables need of the written ones, read batch by batch: per-id arrays
    of opportunities (close, stage, account; ids run from 1 to the row count), the lead of
    each converted opportunity (sorted, for a binary search), per lead its status and its
    owner's region (a byte each); reps and accounts grouped by region."""

    def __init__(self, out: Path) -> None:
        reps = pq.read_table(out / "reps.parquet", columns=["rep_id", "region"])
        accounts = pq.read_table(out / "accounts.parquet", columns=["account_id", "region", "owner_rep_id"])
        self.rep_region = by_id(ints(reps["rep_id"]), codes(reps["region"], REGIONS))
        self.account_owner = by_id(ints(accounts["account_id"]), ints(accounts["owner_rep_id"]))
        self.reps_of = Members(ints(reps["rep_id"]), codes(reps["region"], REGIONS))
        self.accounts_of = Members(ints(accounts["account_id"]), codes(accounts["region"], REGIONS))
        n_opps, n_leads = (pq.ParquetFile(out / f"{t}.parquet").metadata.num_rows + 1
                           for t in ("opportunities", "leads"))
        self.opp_closed = np.full(n_opps, -1, np.int64)
        self.opp_stage = np.full(n_opps, -1, np.int8)
        self.opp_account = np.full(n_opps, -1, np.int64)
        converted, opp_of = [], []
        for b in batches(out / "opportunities.parquet",
                         ["opportunity_id", "account_id", "lead_id", "closed_at", "stage"]):
            ids, lead = ints(b["opportunity_id"]), ints(b["lead_id"])
            self.opp_closed[ids], self.opp_account[ids] = seconds(b["closed_at"]), ints(b["account_id"])
            self.opp_stage[ids] = codes(b["stage"], STAGE)
            converted.append(lead[lead >= 0])
            opp_of.append(ids[lead >= 0])
        lead, opp = np.concatenate(converted), np.concatenate(opp_of)
        order = np.argsort(lead, kind="stable")
        self.converted_lead, self.opp_of_lead = lead[order], opp[order]
        self.lead_status = np.full(n_leads, -1, np.int8)
        self.lead_region = np.full(n_leads, -1, np.int8)
        for b in batches(out / "leads.parquet", ["lead_id", "status", "owner_rep_id"]):
            ids = ints(b["lead_id"])
            self.lead_status[ids] = codes(b["status"], STATUS)
            self.lead_region[ids] = self.rep_region[np.maximum(ints(b["owner_rep_id"]), 0)]

    def opportunity(self, lead: np.ndarray) -> np.ndarray:
        """The opportunity each lead became, -1 for none."""
        if not len(self.converted_lead):
            return np.full(len(lead), -1, np.int64)
        at = np.minimum(np.searchsorted(self.converted_lead, lead), len(self.converted_lead) - 1)
        return np.where((lead >= 0) & (self.converted_lead[at] == lead), self.opp_of_lead[at], -1)

    def lead_account(self, lead: np.ndarray) -> np.ndarray:
        """The prospect's company: its opportunity's account, else one of its owner's region
        picked by a hash of the lead id (the same for every row of a lead)."""
        opp = self.opportunity(lead)
        hashed = self.accounts_of.at(np.maximum(self.lead_region[lead], 0), (lead.astype(np.uint64) * HASH) >> np.uint64(7))
        return np.where(opp >= 0, self.opp_account[np.maximum(opp, 0)], hashed)


class Members:
    """Ids grouped by a small integer: the k-th member of a group, or a random one."""

    def __init__(self, ids: np.ndarray, group: np.ndarray) -> None:
        order = np.argsort(group, kind="stable")
        self.ids, self.count = ids[order], np.bincount(group, minlength=len(REGIONS))
        self.first = np.cumsum(self.count) - self.count

    def at(self, group: np.ndarray, k: np.ndarray) -> np.ndarray:
        count = np.maximum(self.count[group], 1)
        return self.ids[self.first[group] + (k % count.astype(np.uint64)).astype(np.int64)]

    def pick(self, rng, group: np.ndarray) -> np.ndarray:
        return self.at(group, rng.integers(0, 2**62, len(group)).astype(np.uint64))


# --- reading and writing -------------------------------------------------------------------

def ints(column) -> np.ndarray:
    return pc.fill_null(column, -1).to_numpy().astype(np.int64)


def seconds(column) -> np.ndarray:
    """Timestamps as int64 seconds, -1 for null."""
    micros = pc.fill_null(pc.cast(column, pa.int64()), -US)
    return micros.to_numpy() // US


def codes(column, pool: list[str]) -> np.ndarray:
    return pc.fill_null(pc.index_in(pc.cast(column, pa.string()), pa.array(pool)), -1).to_numpy()


def by_id(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full(int(ids.max(initial=0)) + 1, -1, values.dtype)
    out[ids] = values
    return out


def batches(path: Path, columns: list[str]):
    for batch in pq.ParquetFile(path).iter_batches(BATCH, columns=columns):
        yield batch


def lognormal(rng, median: float, sigma: float, n: int, unit: int) -> np.ndarray:
    return (rng.lognormal(np.log(median), sigma, n) * unit).astype(np.int64)


def choose_rows(rng, probs: np.ndarray) -> np.ndarray:
    """Per row of probabilities, the index drawn."""
    return (rng.random(len(probs))[:, None] > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)


class Writer:
    def __init__(self, out: Path, name: str) -> None:
        self.name, self.rows = name, 0
        self.schema = pa.schema([(f, pa.dictionary(pa.int8(), pa.string()) if f in CATEGORIES else t)
                                 for f, t in SCHEMAS[name]])
        self.file = pq.ParquetWriter(out / f"{name}.parquet", self.schema, compression="zstd",
                                     compression_level=1, store_schema=False)

    def write(self, cols: Cols) -> None:
        arrays = [arrow(f.name, cols[f.name], f.type) for f in self.schema]
        self.file.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += len(arrays[0])

    def close(self) -> int:
        self.file.close()
        return self.rows


def arrow(name: str, values: np.ndarray, typ: pa.DataType) -> pa.Array:
    if name in CATEGORIES:  # dictionary-encoded; with no schema stored, readers see strings
        return pa.DictionaryArray.from_arrays(pa.array(values.astype(np.int8)), pa.array(CATEGORIES[name]))
    scale = US if pa.types.is_timestamp(typ) else 1
    return pa.array(values * scale, typ, mask=values < 0)


def write_once(out: Path, name: str, cols: Cols) -> int:
    writer = Writer(out, name)
    writer.write(cols)
    return writer.close()


def time_sorted(cols: Cols, time: str, first_id: str | None = None) -> Cols:
    order = np.argsort(cols[time], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    if first_id:
        cols[first_id] = np.arange(1, len(order) + 1)
    return cols


def merge(parts: list[Cols], names: list[str]) -> Cols:
    return {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0, np.int64) for k in names}


# --- opportunity stages --------------------------------------------------------------------

def write_stages(out: Path, cal, rng, world: World) -> int:
    writer = Writer(out, "opportunity_stages")
    for batch in batches(out / "opportunities.parquet", ["opportunity_id", "created_at", "closed_at", "stage"]):
        writer.write(stage_dates(rng, cal, ints(batch["opportunity_id"]), seconds(batch["created_at"]),
                                 seconds(batch["closed_at"]), codes(batch["stage"], STAGE)))
    return writer.close()


def stage_dates(rng, cal, opp, created, closed, stage) -> Cols:
    """Stage one within the first 40% of the deal's life, stage two in the next 60% of the
    rest; which deals reach them follows their stage (see the module's docstring)."""
    n = len(opp)
    end = np.where(closed >= 0, closed, cal.end - 1)
    lost = stage == STAGE.index("lost")
    one = (stage >= 1) & (~lost | (rng.random(n) < 0.65))
    two = one & (stage >= 2) & (~lost | (rng.random(n) < 0.55))
    life = np.maximum(end - created, 0)
    first = created + (rng.uniform(0.05, 0.4, n) * life).astype(np.int64)
    second = first + (rng.uniform(0.1, 0.6, n) * (end - first)).astype(np.int64)
    return {"opportunity_id": opp, "stage1_at": np.where(one, first, -1),
            "stage2_at": np.where(two, second, -1)}


# --- lead handoffs, lifecycle stages, referrals --------------------------------------------

LEAD_COLUMNS = ["lead_id", "created_at", "lead_source", "owner_rep_id", "mql_at", "sql_at", "converted_at"]


def write_lead_tables(out: Path, cal, rngs, world: World) -> dict[str, int]:
    handoffs, lifecycle = Writer(out, "lead_handoffs"), Writer(out, "lifecycle_stages")
    referrals = []
    for batch in batches(out / "leads.parquet", LEAD_COLUMNS):
        lead = ints(batch["lead_id"])
        times = {k: seconds(batch[k]) for k in ("created_at", "mql_at", "sql_at", "converted_at")}
        owner = ints(batch["owner_rep_id"])
        handoffs.write(make_handoffs(rngs[0], cal, world, lead, owner, times))
        lifecycle.write(make_lifecycle(rngs[1], cal, world, lead, times))
        source = pc.fill_null(pc.cast(batch["lead_source"], pa.string()), "").to_numpy(zero_copy_only=False)
        referrals.append(make_referrals(rngs[2], cal, world, lead[source == "referral"],
                                        owner[source == "referral"], times["created_at"][source == "referral"]))
    names = [f for f, _ in SCHEMAS["referrals"] if f != "referral_id"]
    return {"lead_handoffs": handoffs.close(), "lifecycle_stages": lifecycle.close(),
            "referrals": write_once(out, "referrals", time_sorted(merge(referrals, names), "sent_at", "referral_id"))}


def make_handoffs(rng, cal, world: World, lead, owner, times) -> Cols:
    mql, sql = times["mql_at"], times["sql_at"]
    n = len(lead)
    qualified = sql >= 0
    passed = (mql >= 0) & (qualified | (rng.random(n) < 0.55))
    late = mql + lognormal(rng, 2.0, 0.8, n, DAY)
    passed_at = np.where(qualified, mql + (rng.uniform(0.1, 0.5, n) * (sql - mql)).astype(np.int64), late)
    accepted_at = np.where(qualified, passed_at + (rng.uniform(0.2, 0.9, n) * (sql - passed_at)).astype(np.int64),
                           np.where(rng.random(n) < 0.45, passed_at + lognormal(rng, 1.0, 0.7, n, DAY), -1))
    passed &= passed_at < cal.end
    accepted_at = np.where(accepted_at < cal.end, accepted_at, -1)
    region = world.lead_region[lead]
    cols = {"lead_id": lead, "sdr_rep_id": owner, "ae_rep_id": world.reps_of.pick(rng, np.maximum(region, 0)),
            "passed_at": passed_at, "accepted_at": accepted_at}
    return time_sorted({k: v[passed] for k, v in cols.items()}, "passed_at")


def make_lifecycle(rng, cal, world: World, lead, times) -> Cols:
    """One row per stage entered, in the order entered; exited_at is the next one's entered_at."""
    n = len(lead)
    opp = world.opportunity(lead)
    closed = np.where(opp >= 0, world.opp_closed[np.maximum(opp, 0)], -1)
    stage = np.where(opp >= 0, world.opp_stage[np.maximum(opp, 0)], -1)
    won = np.where(stage == STAGE.index("won"), closed, -1)
    last = np.maximum.reduce([times["created_at"], times["mql_at"], times["sql_at"]])
    dropped = last + lognormal(rng, 12.0, 0.8, n, DAY)
    dropped = np.where(world.lead_status[lead] == STATUS.index("disqualified"), dropped, -1)
    dropped = np.where(stage == STAGE.index("lost"), closed, dropped)
    entered = np.stack([times["created_at"], times["mql_at"], times["sql_at"], times["converted_at"], won,
                        np.where(dropped < cal.end, dropped, -1)], axis=1)
    row, which = np.nonzero(entered >= 0)
    at = entered[row, which]
    order = np.lexsort((which, at, row))
    row, which, at = row[order], which[order], at[order]
    same = np.concatenate([row[1:] == row[:-1], [False]])
    exited = np.where(same, np.concatenate([at[1:], [-1]]), -1)
    return {"lead_id": lead[row], "lifecycle_stage": which, "entered_at": at, "exited_at": exited}


def make_referrals(rng, cal, world: World, lead, owner, created) -> Cols:
    """A referral before each referral lead, and 45% more, at random times of the same span,
    that never became a lead; the referrer is an account of the lead owner's region (of the
    region of a random rep, for the others), and the rep is the referrer's owner."""
    n = len(lead)
    sent = np.maximum(created - lognormal(rng, 3.0, 0.7, n, DAY), cal.start)
    extra = rng.binomial(n, 0.45) if n else 0
    lo, hi = (int(created.min()), int(created.max())) if n else (cal.start, cal.start)
    extra_sent = cal.sample(rng, lo, hi, extra) if extra else np.empty(0, np.int64)
    region = np.concatenate([world.rep_region[np.maximum(owner, 0)],
                             world.rep_region[world.reps_of.pick(rng, rng.integers(0, len(REGIONS), extra))]])
    account = world.accounts_of.pick(rng, np.maximum(region, 0))
    return {"account_id": account, "rep_id": world.account_owner[account],
            "lead_id": np.concatenate([lead, np.full(extra, -1)]),
            "sent_at": np.concatenate([sent, extra_sent]).astype(np.int64)}


# --- replies and deal touches --------------------------------------------------------------

ACTIVITY_COLUMNS = ["activity_id", "rep_id", "opportunity_id", "lead_id", "activity_type", "occurred_at"]


def write_touch_tables(out: Path, cal, rng, world: World) -> dict[str, int]:
    touches, replies = Writer(out, "deal_touches"), []
    for batch in batches(out / "activities.parquet", ACTIVITY_COLUMNS):
        cols = {k: ints(batch[k]) for k in ("activity_id", "rep_id", "opportunity_id", "lead_id")}
        cols["occurred_at"] = seconds(batch["occurred_at"])
        kind = pc.cast(batch["activity_type"], pa.string()).to_numpy(zero_copy_only=False)
        touches.write(make_deal_touches(world, cols))
        replies.append(make_replies(rng, cal, world, cols, kind))
    names = [f for f, _ in SCHEMAS["replies"] if f != "reply_id"]
    table = time_sorted(merge(replies, names), "replied_at", "reply_id")
    return {"deal_touches": touches.close(), "replies": write_once(out, "replies", table)}


def make_deal_touches(world: World, cols: Cols) -> Cols:
    """Touches on a deal up to its close, then touches on the lead it came from."""
    opp, t = cols["opportunity_id"], cols["occurred_at"]
    via_lead = np.where(opp < 0, world.opportunity(cols["lead_id"]), -1)
    deal = np.where(opp >= 0, opp, via_lead)
    closed = world.opp_closed[np.maximum(deal, 0)]
    keep = (deal >= 0) & ((closed < 0) | (t <= closed))
    return {"opportunity_id": deal[keep], "activity_id": cols["activity_id"][keep],
            "via": (via_lead[keep] >= 0).astype(np.int64)}


def make_replies(rng, cal, world: World, cols: Cols, kind: np.ndarray) -> Cols:
    lead = cols["lead_id"]
    chance = np.select([kind == k for k in REPLY_BY_TYPE], list(REPLY_BY_TYPE.values()), 0.0)
    status = np.maximum(np.where(lead >= 0, world.lead_status[np.maximum(lead, 0)], 0), 0)
    hit = np.flatnonzero((lead >= 0) & (rng.random(len(lead)) < chance * REPLY_BY_STATUS[status]))
    n = len(hit)
    first_at = cols["occurred_at"][hit] + lognormal(rng, 5.0, 1.0, n, HOUR)
    first = choose_rows(rng, SENTIMENT_BY_STATUS[status[hit]])
    again = rng.random(n) < THREAD
    second_at = first_at + lognormal(rng, 3.0, 0.8, n, DAY)
    second = np.where(rng.random(n) < SAME_SENTIMENT, first, choose_rows(rng, SENTIMENT_BY_STATUS[status[hit]]))
    touch = np.concatenate([hit, hit[again]])
    at = np.concatenate([first_at, second_at[again]])
    sentiment = np.concatenate([first, second[again]])
    keep = at < cal.end
    touch, at, sentiment = touch[keep], at[keep], sentiment[keep]
    booked = at + lognormal(rng, 20.0, 0.8, len(at), HOUR)
    booked = np.where((rng.random(len(at)) < MEETING_BY_SENTIMENT[sentiment]) & (booked < cal.end), booked, -1)
    return {"activity_id": cols["activity_id"][touch], "lead_id": lead[touch],
            "account_id": world.lead_account(lead[touch]), "rep_id": cols["rep_id"][touch],
            "replied_at": at, "sentiment": sentiment, "meeting_booked_at": booked}
