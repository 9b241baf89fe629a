"""A compiled query tree is the request's own, so it can be rendered without a copy.

``Project.compile`` renders in place (``render(..., copy=False)``), and sqlglot's dialect
rewrites change the tree they render. That is only safe while no node of the query tree is
also a node of the catalog (a rewrite would change the definition for every later request)
and no node sits in two places of the tree. These tests hold the compiler to both, over the
whole catalog, every grain, plain and grouped, in several dialects.
"""

from __future__ import annotations

import dataclasses
import sys

import pytest
from sqlglot import exp

from sales_metrics import engine
from sales_metrics.engine.compile import compile_tree, render
from support import ROOT

DIALECTS = ["duckdb", "postgres", "snowflake", "bigquery", "spark", "tsql", "trino"]
GRAINS = ["day", "week", "month", "quarter", "year"]
RANGE = {"start": "2023-01-01", "end": "2024-12-31"}  # T-SQL needs a range for its spine


def catalog_node_ids(catalog) -> set[int]:
    """The id of every sqlglot node the resolved catalog holds, however deeply."""
    ids: set[int] = set()

    def add(obj) -> None:
        if isinstance(obj, exp.Expression):
            ids.update(id(node) for node in obj.walk())
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                add(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                add(item)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                add(getattr(obj, f.name))

    add(catalog.sources)
    add(catalog.metrics)
    add([catalog.dimensions(source) for source in catalog.sources])  # joined dimensions too
    return ids


def check_private(tree: exp.Expression, catalog_ids: set[int]) -> None:
    seen: set[int] = set()
    for node in tree.walk():
        assert id(node) not in catalog_ids, f"catalog node in the query: {node.sql()[:80]}"
        assert id(node) not in seen, f"node twice in the query: {node.sql()[:80]}"
        seen.add(id(node))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from benchmark_project import make_project
    finally:
        sys.path.remove(str(ROOT / "examples"))
    root = make_project(tmp_path_factory.mktemp("generated"), metrics=120, sources=8)
    return engine.load_project(root)


@pytest.mark.parametrize("grain", GRAINS)
@pytest.mark.parametrize("by", [[], ["region"]])
def test_catalog_query_shares_no_node(project, grain, by):
    names, _ = project.runnable(project.catalog.metrics, grain=grain, by=by)
    assert len(names) > 30
    ids = catalog_node_ids(project.catalog)
    assert len(ids) > 500  # the walk reaches the catalog's trees
    for dialect in ("duckdb", "spark", "postgres"):  # postgres: fenced keys, histograms
        tree = compile_tree(project.catalog, project.request(names, grain=grain, by=by, **RANGE),
                            dialect)
        check_private(tree, ids)


def test_generated_query_shares_no_node(generated):
    ids = catalog_node_ids(generated.catalog)
    for by in ([], ["region"]):
        names, _ = generated.runnable(generated.catalog.metrics, grain="month", by=by)
        assert len(names) > 100
        tree = compile_tree(generated.catalog, generated.request(names, grain="month", by=by),
                            "duckdb")
        check_private(tree, ids)


def test_check_private_catches_sharing(project):
    """The check above can fail: a query holding a catalog fragment is caught."""
    ids = catalog_node_ids(project.catalog)
    fragment = project.catalog.metrics["win_rate"].numerator.expr
    with pytest.raises(AssertionError, match="catalog node"):
        check_private(exp.select(fragment, copy=False), ids)
    twice = exp.column("x")
    with pytest.raises(AssertionError, match="twice"):
        check_private(exp.Tuple(expressions=[twice, twice]), set())


def compiles(project, name: str, dialect: str) -> bool:
    try:
        project.compile([name], dialect=dialect, grain="month", by=["region"], **RANGE)
    except engine.MetricsError:  # no exact median in BigQuery, say
        return False
    return True


def test_rendering_in_place_changes_nothing_later(project):
    """Rendering in every dialect, in place, leaves the catalog as it was: the DuckDB SQL of
    the whole catalog is the same before and after, and in-place output equals a copy's."""
    names, _ = project.runnable(project.catalog.metrics, grain="month", by=["region"])
    before = project.compile(names, grain="month", by=["region"], **RANGE)
    for dialect in DIALECTS:
        some = [n for n in names if compiles(project, n, dialect)]
        assert len(some) > 30
        request = project.request(some, grain="month", by=["region"], **RANGE)
        copied = render(compile_tree(project.catalog, request, dialect), dialect, copy=True)
        in_place = project.compile(some, dialect=dialect, grain="month", by=["region"], **RANGE)
        assert in_place == copied, dialect
    assert project.compile(names, grain="month", by=["region"], **RANGE) == before
