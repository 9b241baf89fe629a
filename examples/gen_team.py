"""Tables for the team, account and new-business KPIs (issue 18), derived from the files
generate.py wrote, with a random stream of their own (nothing generate.py writes depends on
them, so the other tables and the KPIs on them keep their values).

Model
-----
* employees: the sales staff employed at any time in the period. Account executives (AEs):
  every rep of reps.parquet (employee_id = rep_id, still employed), plus former AEs who left
  during the period (about 22% of the AE headcount a year; tenure log-normal, median two
  years; their accounts and deals were reassigned, so they own no opportunity). SDRs: seats
  of about 0.4 per AE in each region, each held by a chain of SDRs (tenure median 14 months)
  with a 2-8 week vacancy between one leaving and the next being hired. ``left_at`` is the
  first day no longer employed (null: still employed at the period's end).
* headcount: a snapshot per month end of every employee employed that day (hired_at <= day <
  left_at), with the role and hire date an HR system reports.
* rep_compensation: per employee and month employed, the month's base pay, variable pay at
  target, on-target earnings (OTE = base + variable) and loaded cost (OTE x 1.25), each
  prorated by the days employed; AE OTE is 20% of the annual quota (4 x quarterly_quota),
  SDR OTE depends on the region. Integer cents, so ote = base_pay + variable_target exactly.
* employee_surveys: a pulse survey in the first two weeks of each quarter's last month;
  about 75% of the staff employed then answer 1-5 (SDRs lower, people about to leave lower).
* opportunity_sourcing: outbound opportunities sourced by an SDR: 85% of those created while
  an SDR seat of the account's region is held, by its holder, sourced 0-20 days before.
* locations, sales_orders: stores (by country) and one online location per region; orders
  (2 per opportunity, capped) follow the daily intensity; units per order by product, a list
  price per product rising 4% each January, discounts deeper in stores and for more units.
* competitor_prices: the listed price of each product by three competitors, each month:
  a premium of 0.85-1.25 over our list price, revised now and then.
* client_conversations, product_sessions, support_tickets: over each customer account's
  life (first subscription start to last cancellation, or the period's end), conversations
  with its owner rep; users (by segment) who log in (one session per login, durations
  log-normal) and open support tickets, each a Poisson process following the daily
  intensity. These tables scale sublinearly: users, sessions and conversations are capped
  (USERS_CAP, SESSIONS_CAP, CONVERSATIONS_CAP: expected rows) by thinning the rates.

Everything is vectorised with numpy; the per-row tables are simulated month by month (the
opportunities are read in batches), so memory stays bounded at any scale. Times are int64
seconds (-1: null), dates int64 days since 1970-01-01 (-1: null).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from generate import (COUNTRIES, DAY, FIRST, LAST, REGION_SHARE, REGIONS, TEAMS, business_time,
                      month_of, month_start)

Rng = np.random.Generator
Cols = dict[str, np.ndarray]
YEAR = 365.25 * DAY
ROLES, SEGMENTS = ["AE", "SDR"], ["SMB", "Mid-Market", "Enterprise"]
PRODUCTS = ["Starter", "Professional", "Enterprise", "Analytics Add-on"]
FORMER_AE_RATE, AE_TENURE = 0.22, (2.0 * YEAR, 0.6)  # leavers per AE a year; median, sigma
SDR_PER_AE, SDR_TENURE, SDR_GAP = 0.4, (14 / 12 * YEAR, 0.55), (14 * DAY, 56 * DAY)
SDR_OTE = np.array([88e3, 80e3, 62e3, 52e3])  # by region
BASE_SHARE, LOADED = np.array([0.5, 0.65]), 1.25  # base pay share of OTE by role; cost factor
SURVEY_ANSWER, SURVEY_MEAN = 0.75, np.array([3.9, 3.5])  # by role
SOURCED_BY_SDR = 0.85
CITIES = {"United States": ["New York", "Chicago", "Austin"], "Canada": ["Toronto"],
          "United Kingdom": ["London", "Manchester"], "Germany": ["Berlin", "Munich"],
          "France": ["Paris"], "Netherlands": ["Amsterdam"], "Sweden": ["Stockholm"],
          "Spain": ["Madrid"], "Australia": ["Sydney", "Melbourne"], "Japan": ["Tokyo"],
          "Singapore": ["Singapore"], "India": ["Bangalore"], "Brazil": ["Sao Paulo"],
          "Mexico": ["Mexico City"], "Argentina": ["Buenos Aires"], "Chile": ["Santiago"]}
UNIT_PRICE = np.array([600.0, 1800.0, 7200.0, 900.0])  # list price per unit (licence)
PRODUCT_BY_CHANNEL = np.array([[.45, .35, .05, .15], [.60, .25, .02, .13]])  # store, online
ONLINE_SHARE, ORDERS_PER_OPPORTUNITY, ORDERS_CAP = 0.45, 2, 3_000_000
COMPETITORS = ["Rivalsoft", "Pipewise", "Northbeam CRM"]
USERS_BY_SEGMENT = np.array([2.0, 5.0, 12.0])  # mean users per customer account
SESSIONS_PER_USER_MONTH, TICKETS_PER_USER_MONTH = 1.6, np.array([0.12, 0.09, 0.07])
CONVERSATIONS_PER_MONTH = np.array([0.6, 1.2, 2.5])  # per customer account, by segment
USERS_CAP, SESSIONS_CAP, CONVERSATIONS_CAP = 400_000, 4_000_000, 2_000_000
CHANNELS, PRIORITIES = ["call", "video", "email", "in_person"], ["low", "normal", "high", "urgent"]
TS, DATE, I64, F64, STR = pa.timestamp("us"), pa.date32(), pa.int64(), pa.float64(), pa.string()
SCHEMAS = {name: pa.schema(fields) for name, fields in {
    "employees": [("employee_id", I64), ("rep_id", I64), ("employee_name", STR), ("role", STR),
                  ("region", STR), ("team", STR), ("hired_at", DATE), ("left_at", DATE)],
    "headcount": [("snapshot_date", DATE), ("employee_id", I64), ("role", STR),
                  ("hired_at", DATE)],
    "rep_compensation": [("month_start", DATE), ("employee_id", I64), ("role", STR),
                         ("base_pay", F64), ("variable_target", F64), ("ote", F64),
                         ("loaded_cost", F64)],
    "employee_surveys": [("response_id", I64), ("employee_id", I64), ("responded_at", TS),
                         ("score", pa.int32())],
    "opportunity_sourcing": [("opportunity_id", I64), ("sdr_employee_id", I64),
                             ("sourced_at", TS)],
    "locations": [("location_id", I64), ("location_name", STR), ("channel", STR),
                  ("city", STR), ("country", STR), ("region", STR)],
    "sales_orders": [("order_id", I64), ("location_id", I64), ("ordered_at", TS),
                     ("product", STR), ("units", pa.int32()), ("revenue", F64)],
    "competitor_prices": [("price_date", DATE), ("product", STR), ("competitor", STR),
                          ("list_price", F64)],
    "client_conversations": [("conversation_id", I64), ("account_id", I64), ("rep_id", I64),
                             ("occurred_at", TS), ("channel", STR),
                             ("duration_minutes", pa.int32())],
    "product_sessions": [("session_id", I64), ("account_id", I64), ("user_id", I64),
                         ("started_at", TS), ("duration_seconds", pa.int32())],
    "support_tickets": [("ticket_id", I64), ("account_id", I64), ("user_id", I64),
                        ("opened_at", TS), ("priority", STR)]}.items()}
TEAM_NAMES = [t[0] for t in TEAMS] + [f"{short} SDR" for short in ("NA", "EMEA", "APAC", "LATAM")]
CATEGORIES = {  # columns kept as category codes while generating: table -> column -> values
    "employees": {"role": ROLES, "region": REGIONS, "team": TEAM_NAMES},
    "headcount": {"role": ROLES}, "rep_compensation": {"role": ROLES},
    "locations": {"channel": ["store", "online"], "region": REGIONS},
    "sales_orders": {"product": PRODUCTS},
    "competitor_prices": {"product": PRODUCTS, "competitor": COMPETITORS},
    "client_conversations": {"channel": CHANNELS}, "support_tickets": {"priority": PRIORITIES}}


# --- writing ---------------------------------------------------------------------------------

def column(values, typ: pa.DataType, pool: list[str] | None) -> pa.Array:
    if isinstance(values, pa.Array):
        return values
    values = np.asarray(values)
    if pool is not None:
        return pa.DictionaryArray.from_arrays(pa.array(values, pa.int32(), mask=values < 0),
                                              pool).cast(STR)
    if pa.types.is_timestamp(typ):
        return pa.array(values * 1_000_000, typ, mask=values < 0)
    if pa.types.is_date(typ):
        return pa.array(values.astype("datetime64[D]"), typ, mask=values < 0)
    if pa.types.is_floating(typ):
        return pa.array(values, typ, mask=np.isnan(values))
    return pa.array(values, typ, mask=values < 0)


def table(name: str, cols: Cols) -> pa.Table:
    schema = SCHEMAS[name]
    pools = CATEGORIES.get(name, {})
    return pa.Table.from_arrays([column(cols[f.name], f.type, pools.get(f.name)) for f in schema],
                                schema=schema)


def options(schema: pa.Schema) -> dict:
    delta = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_temporal(f.type)]
    return {"compression": "zstd", "compression_level": 1, "store_schema": False,
            "use_dictionary": [f.name for f in schema if pa.types.is_string(f.type)],
            "column_encoding": dict.fromkeys(delta, "DELTA_BINARY_PACKED")}


class Writer:
    def __init__(self, out: Path, name: str) -> None:
        self.name, self.rows = name, 0
        self.file = pq.ParquetWriter(out / f"{name}.parquet", SCHEMAS[name],
                                     **options(SCHEMAS[name]))

    def write(self, cols: Cols) -> None:
        part = table(self.name, cols)
        if part.num_rows:
            self.file.write_table(part, 1_000_000)
        self.rows += part.num_rows

    def close(self) -> int:
        self.file.close()
        return self.rows


def write_once(out: Path, name: str, cols: Cols) -> int:
    writer = Writer(out, name)
    writer.write(cols)
    return writer.close()


def codes(values: pa.ChunkedArray, pool: list[str]) -> np.ndarray:
    """Category codes of a string column (-1 for null or unknown)."""
    found = pc.index_in(values.cast(STR), value_set=pa.array(pool))
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def read(out: Path, name: str, columns: list[str]) -> pa.Table:
    return pq.read_table(out / f"{name}.parquet", columns=columns)


def seconds(values: pa.ChunkedArray) -> np.ndarray:
    """Timestamps as int64 seconds, -1 for null."""
    us = pc.fill_null(values.cast(pa.int64()), -1_000_000).to_numpy()
    return np.where(us < 0, -1, us // 1_000_000)


def days(values: pa.ChunkedArray) -> np.ndarray:
    """Dates as int64 days since 1970-01-01, -1 for null."""
    return pc.fill_null(values.cast(pa.int32()), -1).to_numpy().astype(np.int64)


# --- employees -------------------------------------------------------------------------------

def staff_names(rng: Rng, n: int, taken: pa.Array) -> pa.Array:
    """n names unused by reps and managers ('Ann Lee 2' once the combinations run out)."""
    every = pc.binary_join_element_wise(
        pa.array(np.repeat(FIRST, len(LAST))), pa.array(np.tile(LAST, len(FIRST))), " ")
    free = every.filter(pc.invert(pc.is_in(every, value_set=taken)))
    free = free.take(pa.array(rng.permutation(len(free))))
    i = np.arange(n)
    base = free.take(pa.array(i % len(free)))
    suffix = pc.cast(pa.array(i // len(free) + 1), STR)
    return pc.if_else(pa.array(i >= len(free)), pc.binary_join_element_wise(base, suffix, " "),
                      base)


def sdr_seats(rng: Rng, cal, rep_region: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per SDR seat its region, and the hire and leave times (seconds) of its successive
    holders as (seats x holders) arrays; a holder hired after the period is -1."""
    per_region = np.maximum(1, np.round(SDR_PER_AE * np.bincount(rep_region, minlength=4)))
    region = np.repeat(np.arange(len(REGIONS)), per_region.astype(np.int64))
    n = len(region)
    hired = [cal.start - rng.integers(30, 900, n) * DAY]
    left = []
    while True:
        tenure = np.maximum(rng.lognormal(np.log(SDR_TENURE[0]), SDR_TENURE[1], n), 60 * DAY)
        left.append((hired[-1] + tenure.astype(np.int64)) // DAY * DAY)
        following = left[-1] + rng.integers(SDR_GAP[0] // DAY, SDR_GAP[1] // DAY, n) * DAY
        if (following >= cal.end).all():
            break
        hired.append(following)
    return region, np.stack(hired, 1), np.stack(left, 1)


def make_employees(rng: Rng, cal, reps: pa.Table) -> tuple[Cols, Cols]:
    """The employees, and the SDR seats (to find who sourced an opportunity)."""
    n_reps = reps.num_rows
    rep_region, rep_team = codes(reps["region"], REGIONS), codes(reps["team"], TEAM_NAMES)
    years = (cal.end - cal.start) / YEAR
    # former AEs: left during the period, in a team drawn like the roster's
    n_former = int(rng.poisson(FORMER_AE_RATE * n_reps * years))
    like = rng.integers(0, n_reps, n_former)
    left = (cal.start // DAY + rng.integers(0, (cal.end - cal.start) // DAY, n_former)) * DAY
    tenure = np.maximum(rng.lognormal(np.log(AE_TENURE[0]), AE_TENURE[1], n_former), 90 * DAY)
    former = {"hired": (left - tenure.astype(np.int64)) // DAY * DAY, "left": left,
              "region": rep_region[like], "team": rep_team[like]}
    # SDRs: the holders of each seat whose employment overlaps the period
    seat_region, seat_hired, seat_left = sdr_seats(rng, cal, rep_region)
    seat, holder = np.nonzero((seat_hired < cal.end) & (seat_left > cal.start))
    sdr = {"hired": seat_hired[seat, holder], "left": seat_left[seat, holder],
           "region": seat_region[seat], "team": len(TEAMS) + seat_region[seat]}
    n_sdr = len(seat)
    first_sdr = n_reps + n_former + 1
    seat_ids = np.full(seat_hired.shape, -1)
    seat_ids[seat, holder] = first_sdr + np.arange(n_sdr)
    taken = pa.concat_arrays([reps["rep_name"].combine_chunks().cast(STR),
                              reps["manager"].combine_chunks().cast(STR)])
    names = pa.concat_arrays([reps["rep_name"].combine_chunks().cast(STR),
                              staff_names(rng, n_former + n_sdr, taken)])
    hired_days = days(reps["hired_at"])
    left_all = np.concatenate([np.full(n_reps, -1), former["left"], sdr["left"]])
    employees = {
        "employee_id": np.arange(1, n_reps + n_former + n_sdr + 1),
        "rep_id": np.concatenate([reps["rep_id"].to_numpy(), np.full(n_former + n_sdr, -1)]),
        "employee_name": names,
        "role": np.concatenate([np.zeros(n_reps + n_former, np.int64), np.ones(n_sdr, np.int64)]),
        "region": np.concatenate([rep_region, former["region"], sdr["region"]]),
        "team": np.concatenate([rep_team, former["team"], sdr["team"]]),
        "hired_at": np.concatenate([hired_days, former["hired"] // DAY, sdr["hired"] // DAY]),
        "left_at": np.where(left_all >= cal.end, -1, np.where(left_all < 0, -1, left_all // DAY)),
        "quarterly_quota": np.concatenate([reps["quarterly_quota"].to_numpy(),
                                           np.full(n_former + n_sdr, np.nan)])}
    seats = {"region": seat_region, "hired": seat_hired, "left": seat_left, "ids": seat_ids}
    return employees, seats


def month_days(cal) -> np.ndarray:
    """First day (days since 1970) of each month of the period, and of the month after."""
    first, last = month_of(np.array([cal.start, cal.end - 1]))
    return month_start(np.arange(first, last + 2)) // DAY


def employed_on(emp: Cols, day: np.ndarray) -> np.ndarray:
    """(days x employees) whether each employee is employed on each day."""
    left = np.where(emp["left_at"] < 0, np.iinfo(np.int64).max, emp["left_at"])
    return (emp["hired_at"][None, :] <= day[:, None]) & (day[:, None] < left[None, :])


def make_headcount(cal, emp: Cols) -> Cols:
    ends = month_days(cal)[1:] - 1
    ends = ends[ends < cal.end // DAY]
    when, who = np.nonzero(employed_on(emp, ends))
    return {"snapshot_date": ends[when], "employee_id": emp["employee_id"][who],
            "role": emp["role"][who], "hired_at": emp["hired_at"][who]}


def annual_ote(rng: Rng, emp: Cols) -> np.ndarray:
    """AEs: 20% of the annual quota (former AEs: their team's typical quota); SDRs by region."""
    team_quota = np.array([(t[3] + t[4]) / 2 * 1000 for t in TEAMS])
    quota = np.where(np.isnan(emp["quarterly_quota"]),
                     team_quota[np.minimum(emp["team"], len(TEAMS) - 1)], emp["quarterly_quota"])
    ae = np.round(0.2 * 4 * quota * rng.uniform(0.95, 1.05, len(quota)), -3)
    sdr = np.round(SDR_OTE[emp["region"]] * rng.uniform(0.92, 1.08, len(quota)), -3)
    return np.where(emp["role"] == 0, ae, sdr)


def make_compensation(rng: Rng, cal, emp: Cols) -> Cols:
    """Pay per employee and month, prorated by the days employed, in integer cents."""
    bounds = month_days(cal)
    lo, hi = np.maximum(bounds[:-1], cal.start // DAY), np.minimum(bounds[1:], cal.end // DAY)
    left = np.where(emp["left_at"] < 0, cal.end // DAY, emp["left_at"])
    worked = np.minimum(hi[:, None], left[None, :]) - np.maximum(lo[:, None], emp["hired_at"][None, :])
    month, who = np.nonzero(worked > 0)
    share = worked[month, who] / (bounds[1:] - bounds[:-1])[month]
    ote = annual_ote(rng, emp)[who] / 12 * share * 100
    base = np.rint(ote * BASE_SHARE[emp["role"][who]])
    variable = np.rint(ote) - base
    return {"month_start": bounds[:-1][month], "employee_id": emp["employee_id"][who],
            "role": emp["role"][who], "base_pay": base / 100, "variable_target": variable / 100,
            "ote": (base + variable) / 100, "loaded_cost": np.rint((base + variable) * LOADED) / 100}


def make_surveys(rng: Rng, cal, emp: Cols) -> Cols:
    """A pulse survey opening on the first day of each quarter's last month, open 14 days."""
    bounds = month_days(cal)[:-1]
    months = (bounds.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12
    opens = bounds[(months % 3 == 2) & (bounds + 14 <= cal.end // DAY)]
    when, who = np.nonzero(employed_on(emp, opens))
    answers = rng.random(len(who)) < SURVEY_ANSWER
    when, who = when[answers], who[answers]
    at = (opens[when] + rng.integers(0, 14, len(who))) * DAY + business_time(rng, len(who))
    left = emp["left_at"][who]
    still = (left < 0) | (at < left * DAY)  # employed when answering
    when, who, at, left = when[still], who[still], at[still], left[still]
    leaving = (left >= 0) & (left * DAY - at < 120 * DAY)
    mean = SURVEY_MEAN[emp["role"][who]] - np.where(leaving, 0.7, 0.0)
    score = np.clip(np.rint(rng.normal(mean, 0.8)), 1, 5).astype(np.int64)
    order = np.lexsort((who, at))
    return {"response_id": np.arange(1, len(who) + 1), "employee_id": emp["employee_id"][who][order],
            "responded_at": at[order], "score": score[order]}


def write_sourcing(out: Path, rng: Rng, cal, seats: Cols, account_region: np.ndarray) -> int:
    """Who sourced each outbound opportunity: the holder of a random SDR seat of the account's
    region when it was created, if any (85%); read and written batch by batch."""
    writer = Writer(out, "opportunity_sourcing")
    by_region = np.argsort(seats["region"], kind="stable")
    count = np.bincount(seats["region"], minlength=len(REGIONS))
    first = np.cumsum(count) - count
    for batch in pq.ParquetFile(out / "opportunities.parquet").iter_batches(
            1 << 20, columns=["opportunity_id", "account_id", "created_at", "lead_source"]):
        outbound = pc.fill_null(pc.equal(batch["lead_source"].cast(STR), "outbound"), False)
        picked = batch.filter(outbound)
        if not picked.num_rows:
            continue
        created = seconds(picked["created_at"])
        region = account_region[picked["account_id"].to_numpy() - 1]
        seat = by_region[first[region] + (rng.random(len(region)) * count[region]).astype(np.int64)]
        holder = (seats["hired"][seat] <= created[:, None]).sum(1) - 1
        held = (holder >= 0) & (seats["left"][seat, np.maximum(holder, 0)] > created)
        keep = held & (rng.random(len(seat)) < SOURCED_BY_SDR)
        hired = seats["hired"][seat, np.maximum(holder, 0)]
        back = (rng.random(len(seat)) * 20 * DAY).astype(np.int64)
        sourced = np.maximum(created - back, np.maximum(hired, cal.start))
        writer.write({"opportunity_id": picked["opportunity_id"].to_numpy()[keep],
                      "sdr_employee_id": seats["ids"][seat[keep], holder[keep]],
                      "sourced_at": sourced[keep]})
    return writer.close()


# --- stores, online and prices ----------------------------------------------------------------

def make_locations(n_opportunities: int) -> Cols:
    """Stores spread over the cities by the countries' shares of accounts, and one online
    location per region (no randomness: the count of stores depends on the scale only)."""
    n_stores = int(np.clip(n_opportunities // 400, 10, 500))
    weight = np.array([REGION_SHARE[c[1]] * c[2] for c in COUNTRIES])
    per_country = np.maximum(1, np.round(weight / weight.sum() * n_stores)).astype(np.int64)
    country = np.repeat(np.arange(len(COUNTRIES)), per_country)
    nth = np.arange(len(country)) - np.repeat(np.cumsum(per_country) - per_country, per_country)
    towns = [CITIES[c[0]] for c in COUNTRIES]
    size = np.array([len(t) for t in towns])[country]
    city = pa.array([t for ts in towns for t in ts]).take(pa.array(
        (np.cumsum([0] + [len(t) for t in towns[:-1]]))[country] + nth % size))
    number = pc.cast(pa.array(nth // size + 1), STR)
    name = pc.binary_join_element_wise(city, " store", "")
    name = pc.if_else(pa.array(nth >= size), pc.binary_join_element_wise(name, number, " "), name)
    countries = pa.array([c[0] for c in COUNTRIES]).take(pa.array(country))
    online = pa.array([f"Online store ({r})" for r in REGIONS])
    return {"location_id": np.arange(1, len(country) + len(REGIONS) + 1),
            "location_name": pa.concat_arrays([name, online]),
            "channel": np.concatenate([np.zeros(len(country), np.int64),
                                       np.ones(len(REGIONS), np.int64)]),
            "city": pa.concat_arrays([city, pa.nulls(len(REGIONS), STR)]),
            "country": pa.concat_arrays([countries, pa.nulls(len(REGIONS), STR)]),
            "region": np.concatenate([np.array([c[1] for c in COUNTRIES])[country],
                                      np.arange(len(REGIONS))])}


def list_price(t: np.ndarray, product: np.ndarray, cal) -> np.ndarray:
    """Our list price per unit, up 4% each January after the period's first year."""
    years = t.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) - \
        np.array([cal.start]).astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64)[0]
    return UNIT_PRICE[product] * 1.04 ** years


def write_orders(out: Path, rng: Rng, cal, locations: Cols, n_opportunities: int) -> int:
    writer = Writer(out, "sales_orders")
    n_total = int(np.clip(ORDERS_PER_OPPORTUNITY * n_opportunities, 1000, ORDERS_CAP))
    channel, region = locations["channel"], locations["region"]
    stores = [np.flatnonzero((channel == 0) & (region == r)) for r in range(len(REGIONS))]
    online = {int(region[i]): i for i in np.flatnonzero(channel == 1)}
    bounds = month_days(cal) * DAY
    bounds[0], bounds[-1] = cal.start, cal.end
    mass = cal.mass(bounds)
    next_id = 1
    for lo, hi, share in zip(bounds[:-1], bounds[1:], np.diff(mass) / (mass[-1] - mass[0])):
        n = int(rng.poisson(n_total * share))
        at = np.sort(cal.sample(rng, int(lo), int(hi) - 1, n))
        reg = rng.choice(len(REGIONS), n, p=REGION_SHARE)
        is_online = rng.random(n) < ONLINE_SHARE
        loc = np.array([online[r] for r in range(len(REGIONS))])[reg]
        for r in range(len(REGIONS)):  # four regions, not rows
            here = np.flatnonzero(~is_online & (reg == r))
            if len(stores[r]):
                loc[here] = stores[r][rng.integers(0, len(stores[r]), len(here))]
        store = channel[loc] == 0
        p = PRODUCT_BY_CHANNEL[np.where(store, 0, 1)]
        product = np.minimum((rng.random(n)[:, None] > np.cumsum(p, 1)).sum(1), len(PRODUCTS) - 1)
        units = rng.geometric(np.where(product == 2, 0.8, np.where(store, 0.45, 0.6)))
        discount = np.where(store, rng.uniform(0, 0.15, n) + 0.02 * (units - 1),
                            rng.uniform(0, 0.05, n))
        revenue = np.round(units * list_price(at, product, cal) * (1 - np.minimum(discount, 0.3)), 2)
        writer.write({"order_id": next_id + np.arange(n), "location_id": loc + 1, "ordered_at": at,
                      "product": product, "units": units, "revenue": revenue})
        next_id += n
    return writer.close()


def make_competitor_prices(rng: Rng, cal) -> Cols:
    months = month_days(cal)[:-1]
    n_m, n_c, n_p = len(months), len(COMPETITORS), len(PRODUCTS)
    premium = rng.uniform(0.85, 1.25, (n_c, n_p))
    revised = rng.random((n_m, n_c, n_p)) < 0.12  # a price revision, now and then
    step = np.where(revised, rng.uniform(-0.06, 0.08, (n_m, n_c, n_p)), 0.0)
    level = premium[None] * np.cumprod(1 + step, axis=0)
    month, comp, product = (a.ravel() for a in np.meshgrid(
        np.arange(n_m), np.arange(n_c), np.arange(n_p), indexing="ij"))
    ours = list_price(months[month] * DAY, product, cal)
    return {"price_date": months[month], "product": product, "competitor": comp,
            "list_price": np.round(ours * level[month, comp, product])}


# --- customers: conversations, product usage, tickets -------------------------------------------

def customer_spans(out: Path, cal, n_accounts: int) -> tuple[np.ndarray, np.ndarray]:
    """Each account's customer life: its first subscription's start to its last cancellation
    (cal.end while any subscription is live); -1 for accounts that never subscribed."""
    subs = read(out, "subscriptions", ["account_id", "started_at", "cancelled_at"])
    account = subs["account_id"].to_numpy()
    start, cancel = seconds(subs["started_at"]), seconds(subs["cancelled_at"])
    first = np.full(n_accounts + 1, np.iinfo(np.int64).max)
    last = np.full(n_accounts + 1, -1)
    np.minimum.at(first, account, start)
    np.maximum.at(last, account, np.where(cancel < 0, cal.end, cancel))
    return np.where(last >= 0, first, -1)[1:], last[1:]


def arrivals(rng: Rng, cal, lo: int, hi: int, start: np.ndarray, end: np.ndarray,
             per_month: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson arrivals in [lo, hi) of entities live in [start, end), at ``per_month`` for an
    average month, following the daily intensity: the entity of each arrival, and its time."""
    a, b = np.maximum(start, lo), np.minimum(end, hi)
    live = np.flatnonzero(b > a)
    a, b = cal.mass(a[live]), cal.mass(b[live] - 1)
    month_mass = cal.cum[-1] / ((cal.end - cal.start) / (YEAR / 12))
    count = rng.poisson(per_month[live] * (b - a) / month_mass)
    owner = np.repeat(np.arange(len(live)), count)
    at = cal.moment(rng, a[owner] + rng.random(len(owner)) * (b[owner] - a[owner]),
                    np.maximum(start[live][owner], lo), np.minimum(end[live][owner], hi) - 1)
    order = np.argsort(at, kind="stable")
    return live[owner[order]], at[order]


def make_users(rng: Rng, cal, segment: np.ndarray, start: np.ndarray, end: np.ndarray) -> Cols:
    """Users of customer accounts: from a few days after the account's start to its end (a
    fifth are removed earlier), by segment, thinned to USERS_CAP."""
    customer = np.flatnonzero(start >= 0)
    mean = USERS_BY_SEGMENT[segment[customer]]
    scale = min(1.0, USERS_CAP / max(mean.sum(), 1.0))
    count = 1 + rng.poisson(np.maximum(mean * scale - 1, 0))
    account = np.repeat(customer, count)
    begin = start[account] + (rng.exponential(5.0, len(account)) * DAY).astype(np.int64)
    stop = end[account]
    removed = rng.random(len(account)) < 0.2
    cut = begin + (rng.random(len(account)) * np.maximum(stop - begin, 0)).astype(np.int64)
    return {"account_id": account + 1, "user_id": np.arange(1, len(account) + 1),
            "start": begin, "end": np.where(removed, cut, stop), "segment": segment[account]}


def write_usage(out: Path, rng: Rng, cal, segment: np.ndarray, owner_rep: np.ndarray,
                start: np.ndarray, end: np.ndarray) -> dict[str, int]:
    """Conversations, sessions and tickets, month by month."""
    users = make_users(rng, cal, segment, start, end)
    user_months = np.maximum(users["end"] - users["start"], 0).sum() / (YEAR / 12)
    session_rate = SESSIONS_PER_USER_MONTH * min(1.0, SESSIONS_CAP / max(
        SESSIONS_PER_USER_MONTH * user_months, 1.0))
    sessions_per = np.full(len(users["user_id"]), session_rate)
    tickets_per = TICKETS_PER_USER_MONTH[users["segment"]]
    customer_months = np.maximum(end - start, 0).sum() / (YEAR / 12)
    talks_per = CONVERSATIONS_PER_MONTH[segment]
    talks_per = talks_per * min(1.0, CONVERSATIONS_CAP / max(
        float(np.mean(talks_per)) * customer_months, 1.0))
    writers = {n: Writer(out, n) for n in ("client_conversations", "product_sessions",
                                           "support_tickets")}
    next_id = dict.fromkeys(writers, 1)
    bounds = month_days(cal) * DAY
    bounds[0], bounds[-1] = cal.start, cal.end
    live_end = np.where(end < 0, -1, end)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        account, at = arrivals(rng, cal, lo, hi, start, live_end, talks_per)
        n = len(at)
        writers["client_conversations"].write({
            "conversation_id": next_id["client_conversations"] + np.arange(n),
            "account_id": account + 1, "rep_id": owner_rep[account], "occurred_at": at,
            "channel": rng.choice(4, n, p=[.35, .35, .2, .1]),
            "duration_minutes": np.clip(np.rint(rng.lognormal(np.log(25), 0.5, n)), 5, 180)})
        user, at = arrivals(rng, cal, lo, hi, users["start"], users["end"], sessions_per)
        n_s = len(at)
        writers["product_sessions"].write({
            "session_id": next_id["product_sessions"] + np.arange(n_s),
            "account_id": users["account_id"][user], "user_id": users["user_id"][user],
            "started_at": at, "duration_seconds": np.clip(np.rint(rng.lognormal(
                np.log(720), 0.9, n_s)), 10, 4 * 3600).astype(np.int64)})
        user, at = arrivals(rng, cal, lo, hi, users["start"], users["end"], tickets_per)
        n_t = len(at)
        writers["support_tickets"].write({
            "ticket_id": next_id["support_tickets"] + np.arange(n_t),
            "account_id": users["account_id"][user], "user_id": users["user_id"][user],
            "opened_at": at, "priority": rng.choice(4, n_t, p=[.3, .5, .15, .05])})
        for name, rows in (("client_conversations", n), ("product_sessions", n_s),
                           ("support_tickets", n_t)):
            next_id[name] += rows
    return {name: writer.close() for name, writer in writers.items()}


def write(out: Path, cal, rng: Rng) -> dict[str, int]:
    """Write the team and account tables into ``out``; return their row counts."""
    out = Path(out)
    reps = read(out, "reps", ["rep_id", "rep_name", "region", "team", "manager", "hired_at",
                              "quarterly_quota"])
    accounts = read(out, "accounts", ["account_id", "segment", "region", "owner_rep_id"])
    n_opportunities = pq.ParquetFile(out / "opportunities.parquet").metadata.num_rows
    emp, seats = make_employees(rng, cal, reps)
    rows = {"employees": write_once(out, "employees", emp),
            "headcount": write_once(out, "headcount", make_headcount(cal, emp)),
            "rep_compensation": write_once(out, "rep_compensation",
                                           make_compensation(rng, cal, emp)),
            "employee_surveys": write_once(out, "employee_surveys", make_surveys(rng, cal, emp))}
    account_region = codes(accounts["region"], REGIONS)
    rows["opportunity_sourcing"] = write_sourcing(out, rng, cal, seats, account_region)
    locations = make_locations(n_opportunities)
    rows["locations"] = write_once(out, "locations", locations)
    rows["sales_orders"] = write_orders(out, rng, cal, locations, n_opportunities)
    rows["competitor_prices"] = write_once(out, "competitor_prices",
                                           make_competitor_prices(rng, cal))
    start, end = customer_spans(out, cal, accounts.num_rows)
    segment = codes(accounts["segment"], SEGMENTS)
    rows |= write_usage(out, rng, cal, segment, accounts["owner_rep_id"].to_numpy(), start, end)
    return rows
