"""Who counts in a per-entity aggregate (issue 13, item 2), on tests/oracles/population/.

reps (the roster)                     deals (closed -> stage, amount)
  1 ann EMEA  north                     ann  Jan 10 won 100   Mar 05 won 300
  2 bob EMEA  south                     bob  Feb 10 won 200   Mar 12 lost 50
  3 cid APAC  north                     cid  Jan 25 won 500   Apr 08 won 40   Feb 18 lost 20
  4 dee APAC  south   (no deals)        eve  Feb 20 lost 70
  5 eve LATAM north                     fay  Mar 28 lost 30   (and one open deal)
  6 fay LATAM south

Won revenue per rep and month:  ann 100, 0, 300, 0;  bob 0, 200, 0, 0;  cid 500, 0, 0, 40;
dee, eve, fay 0 throughout.

- Without `population:` the reps are those with rows in deals at any time, whatever the
  metric's filters: ann, bob, cid, eve, fay (eve and fay only lost deals, and count with 0).
- With `population: reps` every rep of the roster counts, dee too, in its own region.
- Either way an entity's value in a period does not depend on --start/--end.

Expected values come from a pandas oracle (below, from the CSV files) and, for a few, by hand.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from sales_metrics import adapters, engine

HERE = Path(__file__).parent / "population"

# metric -> (of, aggregate, condition, roster)
FORMS = {
    "reps_winning": ("won_revenue", "count", lambda v: v > 0),
    "reps_counted": ("won_revenue", "count", None),
    "share_100": ("won_revenue", "share", lambda v: v >= 100),
    "avg_won": ("won_revenue", "avg", None),
    "median_won": ("won_revenue", "median", None),
    "sum_won": ("won_revenue", "sum", None),
    "min_won": ("won_revenue", "min", None),
    "max_won": ("won_revenue", "max", None),
    "share_winning": ("win_rate", "share", lambda v: v >= 0.5),
}
SPEC = {**{n: (*f, False) for n, f in FORMS.items()},
        **{f"{n}_roster": (*f, True) for n, f in FORMS.items()}}
ENTITY = sorted(SPEC)
RANGES = [("2025-02-01", "2025-03-31"), ("2025-03-01", "2025-03-31"),
          ("2025-01-15", "2025-02-10"), ("2025-04-01", "2025-04-30")]


# --- the oracle ------------------------------------------------------------------------------

REPS = pd.read_csv(HERE / "reps.csv").rename(columns={"name": "rep"})
ROWS = pd.read_csv(HERE / "deals.csv", parse_dates=["created_at", "closed_at"]).merge(
    REPS, on="rep_id", how="left", validate="many_to_one")


def won_revenue(rows: pd.DataFrame) -> float:
    return float(rows.loc[rows["stage"] == "won", "amount"].sum())  # 0 without rows


def win_rate(rows: pd.DataFrame) -> float:
    closed = rows[rows["stage"].isin(["won", "lost"])]
    return float((closed["stage"] == "won").mean()) if len(closed) else math.nan


OF = {"won_revenue": won_revenue, "win_rate": win_rate}


def aggregate(kind: str, values: list[float], condition) -> float:
    known = [v for v in values if not math.isnan(v)]
    hits = [v for v in known if condition is None or condition(v)]
    if kind == "count":
        return float(len(hits))
    if kind == "share":
        return len(hits) / len(known) if known else math.nan
    if not known:
        return math.nan
    series = pd.Series(known, dtype="float64")
    return float({"avg": series.mean, "median": series.median, "sum": series.sum,
                  "min": series.min, "max": series.max}[kind]())


def members(frame: pd.DataFrame, by: tuple[str, ...]) -> dict[tuple, list[str]]:
    """The entities of each group: the roster's rows (their own dimensions), or the
    (dimensions, rep) combinations of the deals, whatever their stage or time."""
    out: dict[tuple, list[str]] = {}
    for row in frame[[*by, "rep"]].drop_duplicates().itertuples(index=False):
        out.setdefault(tuple(row)[:-1], []).append(row[-1])
    return out


def oracle(name: str, grain: str, by: tuple[str, ...], periods: list[date],
           where=None) -> dict[tuple, float]:
    of, kind, condition, roster = SPEC[name]
    rows = ROWS if where is None else ROWS[where(ROWS)]
    reps = REPS if where is None or not roster else REPS[where(REPS)]
    groups = members(reps if roster else rows, by)
    freq = {"month": "M", "quarter": "Q"}[grain]
    starts = rows["closed_at"].dt.to_period(freq).dt.start_time.dt.date
    out = {}
    for period in periods:
        inside = rows[starts == period]
        for key, group in groups.items():
            values = []
            for rep in group:
                mine = inside[inside["rep"] == rep]
                if not roster:  # the rep's rows in this group (a deal's own territory)
                    for dim, value in zip(by, key):
                        mine = mine[mine[dim] == value]
                values.append(OF[of](mine))
            out[(period, *key)] = aggregate(kind, values, condition)
    return out


# --- running the engine ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def project():
    return engine.load_project(HERE)


@pytest.fixture(scope="module")
def run(project):
    with adapters.connect(project) as conn:
        def query(names, **kw) -> dict[tuple, dict[str, float]]:
            table = project.query(list(names), connection=conn, **kw).to_pydict()
            by = kw.get("by", [])
            keys = list(zip(table["period"], *(table[d] for d in by)))
            return {k: {n: table[n][i] for n in names} for i, k in enumerate(keys)}
        yield query


def same(got, want) -> bool:
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return math.isnan(want)
    return not math.isnan(want) and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


def check(rows: dict[tuple, dict[str, float]], name: str, want: dict[tuple, float]) -> None:
    assert set(rows) == set(want), (name, sorted(rows), sorted(want))
    bad = {k: (rows[k][name], want[k]) for k in want if not same(rows[k][name], want[k])}
    assert not bad, f"{name}: engine (got, expected): {bad}"


# --- every entity form: the same value in a period whatever the range, and the oracle's -----

@pytest.mark.parametrize("by", [(), ("region",), ("team",)], ids=["all", "region", "team"])
@pytest.mark.parametrize("name", ENTITY)
def test_periods_of_a_narrowed_range_keep_their_values(run, name, by):
    full = run([name], grain="month", by=list(by))
    periods = sorted({k[0] for k in full})
    assert periods == [date(2025, m, 1) for m in (1, 2, 3, 4)]
    check(full, name, oracle(name, "month", by, periods))
    for start, end in RANGES:
        part = run([name], grain="month", by=list(by), start=start, end=end)
        inside = [p for p in periods if date.fromisoformat(start).replace(day=1) <= p
                  <= date.fromisoformat(end)]
        assert part == {k: v for k, v in full.items() if k[0] in inside}, (start, end)
        check(part, name, oracle(name, "month", by, inside))


@pytest.mark.parametrize("name", ENTITY)
def test_quarters_too(run, name):
    full = run([name], grain="quarter", by=["region"])
    check(full, name, oracle(name, "quarter", ("region",), [date(2025, 1, 1), date(2025, 4, 1)]))
    part = run([name], grain="quarter", by=["region"], start="2025-04-01", end="2025-06-30")
    assert part == {k: v for k, v in full.items() if k[0] == date(2025, 4, 1)}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_dimension_of_the_deals_places_a_rep_in_each_group_it_has_rows_in(run, name):
    """Without a roster a rep counts in every territory of its deals (cid: east only)."""
    full = run([name], grain="month", by=["territory"])
    periods = sorted({k[0] for k in full})
    check(full, name, oracle(name, "month", ("territory",), periods))


# --- by hand ---------------------------------------------------------------------------------

def test_by_hand(run):
    names = ["reps_counted", "reps_counted_roster", "share_100", "share_100_roster",
             "median_won", "median_won_roster"]
    got = run(names, grain="month", by=["region"])
    jan, apr = date(2025, 1, 1), date(2025, 4, 1)
    # every rep with deals counts (eve and fay: lost deals only); the roster adds dee (APAC)
    assert [got[(jan, r)]["reps_counted"] for r in ("APAC", "EMEA", "LATAM")] == [1, 2, 2]
    assert [got[(jan, r)]["reps_counted_roster"] for r in ("APAC", "EMEA", "LATAM")] == [2, 2, 2]
    # LATAM, a region with only lost deals: 0 of 2 reps reach 100, not empty, not missing
    assert got[(jan, "LATAM")]["share_100"] == 0 and got[(jan, "LATAM")]["share_100_roster"] == 0
    # APAC in January: cid 500 (and dee 0 on the roster); in April cid 40 (dee 0)
    assert got[(jan, "APAC")]["median_won"] == 500 and got[(jan, "APAC")]["median_won_roster"] == 250
    assert got[(apr, "APAC")]["median_won"] == 40 and got[(apr, "APAC")]["median_won_roster"] == 20
    # EMEA in January, cut to that month or not: ann 100, bob 0 -> median 50
    assert got[(jan, "EMEA")]["median_won"] == 50
    cut = run(["median_won"], grain="month", by=["region"], start="2025-01-01", end="2025-01-31")
    assert cut[(jan, "EMEA")]["median_won"] == 50
    total = run(["share_100", "share_100_roster"], grain="month")
    # January: ann and cid reach 100, of 5 reps with deals / of 6 on the roster
    assert total[(jan,)] == {"share_100": pytest.approx(2 / 5), "share_100_roster": pytest.approx(2 / 6)}


def test_a_comparison_of_an_entity_metric_reads_the_period_before_the_range(run):
    """February's change on January needs January's per-rep values though the range starts
    in February: avg won per rep Jan 600/5, Feb 200/5 (roster: /6)."""
    got = run(["avg_won_change", "avg_won_roster_change"], grain="month", start="2025-02-01",
              end="2025-02-28")
    assert got[(date(2025, 2, 1),)] == {"avg_won_change": pytest.approx(200 / 5 - 600 / 5),
                                        "avg_won_roster_change": pytest.approx((200 - 600) / 6)}
    full = run(["avg_won_change"], grain="month")
    assert full[(date(2025, 1, 1),)]["avg_won_change"] is None  # nothing before the data
    assert full[(date(2025, 2, 1),)]["avg_won_change"] == pytest.approx(-80)


def test_where_filters_the_roster_by_its_own_dimensions(run):
    """--where on a dimension the roster has filters it (EMEA: ann, bob); on one it lacks
    (a deal's territory) it filters only the deals: every rep still counts, cid with 0 (east)."""
    months = {"grain": "month", "start": "2025-01-01", "end": "2025-04-30"}
    emea = run(["reps_counted_roster", "share_100_roster"], where=["region = 'EMEA'"], **months)
    assert {k: v["reps_counted_roster"] for k, v in emea.items()} == {
        (date(2025, m, 1),): 2 for m in (1, 2, 3, 4)}
    for name in ENTITY:
        for where, test in (["region = 'EMEA'", lambda d: d["region"] == "EMEA"],
                            ["territory = 'west'", lambda d: d["territory"] == "west"]):
            if SPEC[name][3] and where.startswith("territory"):
                want = _west_roster(name)
            else:
                want = oracle(name, "month", (), [date(2025, m, 1) for m in (1, 2, 3, 4)], test)
            check(run([name], where=[where], **months), name, want)


def _west_roster(name):
    """Every rep of the roster, each with its west deals only."""
    of, kind, condition, _ = SPEC[name]
    west = ROWS[ROWS["territory"] == "west"]
    out = {}
    for m in (1, 2, 3, 4):
        inside = west[west["closed_at"].dt.month == m]
        out[(date(2025, m, 1),)] = aggregate(
            kind, [OF[of](inside[inside["rep"] == rep]) for rep in REPS["rep"]], condition)
    return out


# --- refusals --------------------------------------------------------------------------------

def test_grouping_by_a_dimension_the_roster_lacks_is_refused(project):
    with pytest.raises(engine.UsageError, match=(
            "cannot group 'median_won_roster' by 'territory': its population 'reps' has no "
            "dimension 'territory', so a rep cannot be placed in one group; group by one of "
            "its dimensions: region, team")):
        project.compile(["median_won_roster"], by=["territory"])


def test_grouping_by_its_own_entity_is_refused(project):
    for name in ("median_won", "median_won_roster"):
        with pytest.raises(engine.UsageError, match=(
                f"cannot group '{name}' by 'rep': it aggregates over each rep; group "
                "'won_revenue' by rep instead")):
            project.compile([name], by=["rep"])


def test_a_rep_is_in_the_region_of_its_roster_row(tmp_path):
    """When the deals have a region of their own (ann's March deal, 300, was booked in APAC),
    grouping by region without a roster follows the deals (ann counts in EMEA and in APAC,
    each with her deals there); with the roster a rep is in its own region, with all its
    deals. March, median won per rep: EMEA ann 0, bob 0 -> 0 and APAC ann 300, cid 0 -> 150
    without a roster; EMEA ann 300, bob 0 -> 150 and APAC cid 0, dee 0 -> 0 with it."""
    for name in ("reps.csv", "project.yml"):
        (tmp_path / name).write_text((HERE / name).read_text())
    deals = pd.read_csv(HERE / "deals.csv").merge(REPS[["rep_id", "region"]], on="rep_id")
    deals.loc[deals["id"] == 2, "region"] = "APAC"
    deals.sort_values("id").to_csv(tmp_path / "deals.csv", index=False)
    text = (HERE / "defs.yml").read_text().replace(
        "dimensions: {stage: stage, territory: territory}",
        "dimensions: {stage: stage, territory: territory, region: region}")
    (tmp_path / "defs.yml").write_text(text)
    booked = engine.load_project(tmp_path)
    with adapters.connect(booked) as conn:
        got = booked.query(["median_won", "median_won_roster"], connection=conn, grain="month",
                           by=["region"], start="2025-03-01", end="2025-03-31").to_pydict()
    assert got["region"] == ["APAC", "EMEA", "LATAM"]
    assert got["median_won"] == [150, 0, 0]
    assert got["median_won_roster"] == [0, 150, 0]


def write_project(tmp_path: Path, metrics: str, sources: str = "") -> Path:
    (tmp_path / "project.yml").write_text("name: p\nlint: {missing-owner: off, missing-label: "
                                          "off, missing-description: off, missing-format: off, "
                                          "unused-source: off, unused-dimension: off}\n")
    (tmp_path / "defs.yml").write_text(
        "sources:\n"
        "  - {name: deals, table: deals, time: closed_at, key: id,\n"
        "     joins: [{to: reps, on: rep_id = reps.rep_id}, {to: people, on: person = people.id}]}\n"
        "  - {name: reps, table: reps, key: rep_id, dimensions: {rep: name, region: region}}\n"
        "  - {name: people, table: people, key: id, dimensions: {person: name}}\n"
        "  - {name: names, table: names, dimensions: {rep: name}}\n"
        "  - {name: quotas, table: quotas, time: quarter_start, key: [rep_id, quarter_start],\n"
        "     joins: [{to: reps, on: rep_id = reps.rep_id}]}\n" + sources +
        "metrics:\n"
        "  - {name: won, source: deals, numerator: sum(amount)}\n" + metrics)
    return tmp_path


NOT_FROM_NAMES = ("error[population-entity] the 'rep' of source 'deals' is a dimension of "
                  "'reps', not of population 'names'; join 'deals' to 'names' on its key and "
                  "take 'rep' from there, or name the population it comes from")


@pytest.mark.parametrize("population, expect", [
    ("repz", ["error[unknown-source] population 'repz' is not a defined source; did you mean "
              "'reps'?"]),
    ("names", ["error[population-without-key] population 'names' declares no 'key', so "
               "nothing says it has one row per rep; add 'key: <unique column>' to source "
               "'names'", NOT_FROM_NAMES]),
    ("quotas", ["error[population-entity] population 'quotas' has no dimension 'rep' of its "
                "own (it is a dimension of 'reps'), so it does not list the reps; name the "
                "source that defines 'rep', or add 'rep' to the dimensions of 'quotas'"]),
    ("people", ["error[population-entity] population 'people' has no dimension 'rep' of its "
                "own, so it does not list the reps; name the source that defines 'rep', or "
                "add 'rep' to the dimensions of 'people'"]),
], ids=["unknown", "no key", "entity via a join", "no entity"])
def test_a_population_is_validated(tmp_path, monkeypatch, population, expect):
    folder = write_project(tmp_path, "  - name: share\n    of: won\n    entity: rep\n"
                                     f"    population: {population}\n")
    monkeypatch.chdir(folder)
    project, diagnostics = engine.check_project(folder)
    assert project is None
    assert [d.render() for d in diagnostics] == [f"defs.yml:14:17: {e}" for e in expect]


def test_the_entity_must_come_from_the_population(tmp_path, monkeypatch):
    """`names` lists reps by a dimension of its own, but the deals' rep is the one of reps."""
    folder = write_project(tmp_path, "  - {name: share, of: won, entity: rep, population: names}\n")
    text = (folder / "defs.yml").read_text().replace("{name: names, table: names,",
                                                     "{name: names, table: names, key: name,")
    (folder / "defs.yml").write_text(text)
    monkeypatch.chdir(folder)
    project, diagnostics = engine.check_project(folder)
    assert project is None
    assert [d.render() for d in diagnostics] == ["defs.yml:11:53: " + NOT_FROM_NAMES]


def test_a_valid_population_passes(tmp_path):
    folder = write_project(tmp_path, "  - {name: share, of: won, entity: rep, population: reps}\n")
    project, diagnostics = engine.check_project(folder)
    assert diagnostics == [] and project is not None


# --- one SELECT in every dialect, and the same numbers on SQLite -----------------------------

DIALECTS = ["duckdb", "postgres", "mysql", "sqlite", "clickhouse", "snowflake", "spark",
            "databricks", "bigquery", "tsql", "trino", "redshift"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_sql_parses_back_in_every_dialect(project, dialect):
    compiled = 0
    for names in ([n] for n in ENTITY + ["avg_won_change", "avg_won_roster_change"]):
        for by in ([], ["region"]):
            try:
                text = project.compile(names, dialect=dialect, grain="month", by=by,
                                       start="2025-01-01", end="2025-04-30")
            except engine.UnsupportedFeature as err:  # no exact median in the dialect
                assert names[0].startswith("median") and "medians" in str(err), names
                continue
            tree = sqlglot.parse_one(text, read=dialect)
            assert isinstance(tree, exp.Select)
            ctes = [c.alias for c in tree.find_all(exp.CTE)]
            assert len(ctes) == len(set(ctes)), ctes  # nested CTEs keep names of their own
            compiled += 1
    assert compiled >= 20


def test_sqlite_gives_the_same_numbers(project, run, tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from sales_metrics.adapters.seed import seed
    from sales_metrics.adapters.sqlite import SQLiteAdapter

    for name in ("deals", "reps"):
        pq.write_table(pacsv.read_csv(HERE / f"{name}.csv"), tmp_path / f"{name}.parquet")
    db = tmp_path / "crm.db"
    with SQLiteAdapter(database=str(db), writable=True) as writer:
        seed(writer, tmp_path, None)
    names = [n for n in ENTITY if not n.startswith("median")] + ["avg_won_roster_change"]
    with SQLiteAdapter(database=str(db)) as conn:
        for by in ([], ["region"]):
            kw = {"grain": "month", "by": by, "start": "2025-02-01", "end": "2025-04-30"}
            table = project.query(names, connection=conn, **kw).to_pydict()
            want = run(names, **kw)
            keys = list(zip([date.fromisoformat(str(p)[:10]) for p in table["period"]],
                            *(table[d] for d in by)))
            assert keys == list(want)
            for i, key in enumerate(keys):
                for n in names:
                    assert same(table[n][i], math.nan if want[key][n] is None
                                else want[key][n]), (n, key, table[n][i], want[key][n])
