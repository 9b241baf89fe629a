"""Who an entity is, on the traps of real CRM exports (tests/oracles/entity_keys/).

reps                 deals (all closed in January 2025)
  1 sam EMEA           1 rep 1   won 100
  2 sam APAC           2 rep 2   won 300
  3 lee EMEA           3 rep 3   lost 50
                       4 rep 9   won 70    (rep 9 is not in reps: a name that does not join)
                       5 no rep  won 40

An entity is told apart by the key of the source its dimension belongs to (reps.rep_id,
read from deals.rep_id): the two sams are two reps, rep 9 is a rep without a row in reps, and
the deal of no rep belongs to no rep. Won revenue per rep: 1 -> 100, 2 -> 300, 3 -> 0,
9 -> 70. Where no key reaches the entity (the rep's name written on the deal itself), reps
are told apart by name: sam 400, lee 0, and the deals whose name is empty count for no one.
Expected values are worked out by hand from the table above.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from statistics import median

import pytest

from sales_metrics import adapters, engine

HERE = Path(__file__).parent / "entity_keys"
JAN = date(2025, 1, 1)


@pytest.fixture(scope="module")
def run():
    project = engine.load_project(HERE)
    with adapters.connect(project) as conn:
        def query(names, **kw):
            table = project.query(list(names), connection=conn, grain="month", **kw).to_pylist()
            return {tuple(row[d] for d in ["period", *kw.get("by", [])]): row for row in table}
        yield query, project


def test_same_names_are_different_entities_and_unjoined_references_count(run):
    query, _ = run
    got = query(["reps_counted", "median_won"])[(JAN,)]
    assert got["reps_counted"] == 4  # reps 1, 2, 3 and 9; the deal of no rep is nobody's
    assert got["median_won"] == median([100, 300, 0, 70])


def test_a_roster_counts_its_own_rows(run):
    query, _ = run
    got = query(["reps_counted_roster", "median_won_roster"])[(JAN,)]
    assert got["reps_counted_roster"] == 3  # the rows of reps; rep 9 has none there
    assert got["median_won_roster"] == median([100, 300, 0])
    by_region = query(["reps_counted_roster", "median_won_roster"], by=["region"])
    assert by_region[(JAN, "EMEA")]["reps_counted_roster"] == 2  # sam (1) and lee
    assert by_region[(JAN, "EMEA")]["median_won_roster"] == median([100, 0])
    assert by_region[(JAN, "APAC")]["median_won_roster"] == 300  # the other sam


def test_without_a_key_entities_are_told_apart_by_name(run):
    query, _ = run
    assert query(["median_won_by_name"])[(JAN,)]["median_won_by_name"] == median([400, 0])


def test_the_key_spares_the_join_and_a_name_keeps_it(run):
    _, project = run
    keyed = project.compile(["reps_counted"], grain="month")
    assert "deals.rep_id AS rep" in keyed and "JOIN reps" not in keyed
    roster = project.compile(["reps_counted_roster"], grain="month", by=["region"])
    assert "reps.rep_id AS rep" in roster  # the roster's own key, beside its region
    named = project.compile(["median_won_by_name"], grain="month")
    assert "rep_name AS rep" in named
