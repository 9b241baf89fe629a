"""Independent pandas oracle for the KPI catalog (written from the business meaning of each KPI).

Nothing here reads the engine or its SQL: the sample data is joined and aggregated with pandas.
"""

from __future__ import annotations

import itertools
import math
from datetime import date
from typing import NamedTuple
from collections.abc import Callable

import pandas as pd

NULL = "\x00null"  # stands in for a null dimension value while grouping
FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}  # W-SUN: weeks run Mon..Sun


def enrich(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The three fact tables with their dimensions: rep fields by rep id, account fields by account id."""
    reps = frames["reps"][["rep_id", "rep_name", "region", "team"]].rename(columns={"rep_name": "rep"})
    accounts = frames["accounts"][["account_id", "segment", "industry"]]

    opps = frames["opportunities"].merge(reps, left_on="owner_rep_id", right_on="rep_id",
                                         how="left", validate="many_to_one")
    opps = opps.merge(accounts, on="account_id", how="left", validate="many_to_one")
    opps["lead_source"] = opps["lead_source"].fillna("unknown")

    acts = frames["activities"].merge(reps, on="rep_id", how="left", validate="many_to_one")
    acts = acts.merge(accounts.astype({"account_id": "float64"}), on="account_id", how="left",
                      validate="many_to_one")  # account_id is nullable (float) on activities

    leads = frames["leads"].merge(reps, left_on="owner_rep_id", right_on="rep_id",
                                  how="left", validate="many_to_one")
    leads["lead_source"] = leads["lead_source"].fillna("unknown")

    for name, raw in (("opportunities", opps), ("activities", acts), ("leads", leads)):
        assert len(raw) == len(frames[name])  # many-to-one joins never multiply rows
    return {"opportunities": opps, "activities": acts, "leads": leads}


class KPI(NamedTuple):
    source: str
    time: str                                   # the column that buckets rows into periods
    rows: Callable[[pd.DataFrame], pd.Series]   # which rows the KPI looks at (both sides of a ratio)
    value: Callable[[pd.DataFrame], float]      # the value of one period/group (may get 0 rows)


def everything(d):
    return pd.Series(True, index=d.index)


def is_type(kind):
    return lambda d: d["activity_type"] == kind


def is_won(d):
    return d["stage"] == "won"


def count(d):
    return len(d)


def total(column):
    return lambda d: float(d[column].sum())  # nulls skipped; no rows -> 0


def share(flag):
    """Rows satisfying ``flag`` over all rows; no rows -> null."""
    return lambda d: (int(flag(d).sum()) / len(d)) if len(d) else math.nan


def is_true(column):
    return lambda d: d[column].map(lambda v: v is True or v == True)  # noqa: E712 (None/NA -> False)


def won_revenue_per_deal(d):
    return float(d["amount"].sum()) / len(d) if len(d) else math.nan


def mean_days_to_close(d):
    """Calendar days between the dates (not timestamps) of creation and close, averaged."""
    if not len(d):
        return math.nan
    days = d["closed_at"].dt.normalize() - d["created_at"].dt.normalize()
    return float((days / pd.Timedelta(days=1)).mean())


ORACLES: dict[str, KPI] = {
    # activities, by occurred_at
    "calls_made": KPI("activities", "occurred_at", is_type("call"), count),
    "emails_sent": KPI("activities", "occurred_at", is_type("email"), count),
    "meetings_scheduled": KPI("activities", "occurred_at", is_type("meeting"), count),
    "follow_ups": KPI("activities", "occurred_at", lambda d: d["is_follow_up"] == True, count),  # noqa: E712
    "email_open_rate": KPI("activities", "occurred_at", is_type("email"), share(is_true("email_opened"))),
    "click_through_rate": KPI("activities", "occurred_at", is_type("email"), share(is_true("email_clicked"))),
    "meeting_attendance_rate": KPI("activities", "occurred_at", is_type("meeting"),
                                   share(is_true("meeting_attended"))),
    # leads, by created_at (mql_to_sql_rate: by mql_at)
    "leads_created": KPI("leads", "created_at", everything, count),
    "lead_conversion_rate": KPI("leads", "created_at", everything, share(lambda d: d["converted_at"].notna())),
    "mql_to_sql_rate": KPI("leads", "mql_at", everything, share(lambda d: d["sql_at"].notna())),
    # opportunities, by created_at
    "opportunities_created": KPI("opportunities", "created_at", everything, count),
    "pipeline_created": KPI("opportunities", "created_at", everything, total("amount")),
    "open_pipeline": KPI("opportunities", "created_at",
                         lambda d: d["stage"].notna() & ~d["stage"].isin(["won", "lost"]), total("amount")),
    # opportunities, by closed_at
    "win_rate": KPI("opportunities", "closed_at", lambda d: d["stage"].isin(["won", "lost"]), share(is_won)),
    "deals_won": KPI("opportunities", "closed_at", is_won, count),
    "won_revenue": KPI("opportunities", "closed_at", is_won, total("amount")),
    "average_deal_size": KPI("opportunities", "closed_at", is_won, won_revenue_per_deal),
    "sales_cycle_length": KPI("opportunities", "closed_at", is_won, mean_days_to_close),
}


def period_of(value, grain: str) -> pd.Period:
    return pd.Timestamp(value).to_period(FREQ[grain])


def expected(src: dict[str, pd.DataFrame], names, grain: str, by=(), start=None, end=None,
             where: Callable[[pd.DataFrame], pd.Series] | None = None) -> pd.DataFrame:
    """The full expected result: period spine x dimension values, one column per metric."""
    by = list(by)
    lo, hi = (period_of(start, grain) if start else None), (period_of(end, grain) if end else None)
    picked = {}
    for name in names:
        kpi = ORACLES[name]
        d = src[kpi.source]
        d = d[kpi.rows(d).fillna(False).astype(bool) & d[kpi.time].notna()]
        if where is not None:
            d = d[where(d).fillna(False).astype(bool)]
        d = d.assign(period=d[kpi.time].dt.to_period(FREQ[grain]))
        if lo is not None:
            d = d[d["period"] >= lo]
        if hi is not None:
            d = d[d["period"] <= hi]
        d = d.assign(**{dim: d[dim].astype(object).where(d[dim].notna(), NULL) for dim in by})
        picked[name] = d

    seen = pd.concat([d["period"] for d in picked.values()])
    first = lo if lo is not None else seen.min()
    last = hi if hi is not None else seen.max()
    periods = list(pd.period_range(first, last, freq=FREQ[grain]))
    values = [sorted({v for d in picked.values() for v in d[dim]}, key=lambda v: (v == NULL, v))
              for dim in by]  # nulls sort last
    grid = list(itertools.product(periods, *values))

    out = pd.DataFrame(grid, columns=["period", *by])
    for name, d in picked.items():
        kpi = ORACLES[name]
        cells = {key: kpi.value(g) for key, g in d.groupby(["period", *by], sort=False)}
        empty = kpi.value(d.iloc[0:0])
        out[name] = [cells.get(key, empty) for key in grid]
    out["period"] = [p.start_time.date() for p in out["period"]]
    for dim in by:
        out[dim] = [None if v == NULL else v for v in out[dim]]
    return out


def same(a, b) -> bool:
    a_null = a is None or (isinstance(a, float) and math.isnan(a))
    b_null = b is None or (isinstance(b, float) and math.isnan(b))
    if a_null or b_null:
        return a_null and b_null
    if isinstance(a, (str, date)) or isinstance(b, (str, date)):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)


def mismatches(table, want: pd.DataFrame, limit: int = 10) -> list[str]:
    """Differences between an engine Arrow table and an expected frame (columns, rows, order, values)."""
    got = table.to_pydict()
    if list(got) != list(want.columns):
        return [f"columns {list(got)} != {list(want.columns)}"]
    n_got, n_want = table.num_rows, len(want)
    problems = [] if n_got == n_want else [f"{n_got} rows, expected {n_want}"]
    keys = [c for c in want.columns if c not in ORACLES]  # period and the dimensions
    for i in range(min(n_got, n_want)):
        for col in want.columns:
            g, w = got[col][i], want[col].iloc[i]
            if not same(g, w):
                where = {k: got[k][i] for k in keys if k in got}
                problems.append(f"row {i} {where}: {col} = {g!r}, expected {w!r}")
                if len(problems) >= limit:
                    return problems
    return problems
