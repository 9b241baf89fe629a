"""The function-call reader (engine/functions.py: calls) after a ``*``: a multiplication
``2 * f(x)`` is a call of f, which the documented-functions check must see; only the star
modifiers (``* EXCLUDE (a)``, ``* REPLACE (...)``, ``* EXCEPT (...)``, ``* RENAME (...)``)
are not calls."""

from __future__ import annotations

import pytest

from sales_metrics.engine.functions import calls, undocumented


@pytest.mark.parametrize("dialect", ["duckdb", "bigquery", "postgres", "sqlite"])
def test_a_call_after_a_multiplication_is_read(dialect):
    names = [c.name.upper() for c in calls("SELECT 86400 * FLOOR(x), 2 * ABS(y) FROM t", dialect)]
    assert names == ["FLOOR", "ABS"]


def test_an_undocumented_function_after_a_star_is_found():
    assert undocumented("SELECT 2 * FLOOR(x) FROM t", "sqlite") == ["FLOOR"]


@pytest.mark.parametrize("sql, dialect", [
    ("SELECT * EXCLUDE (a) FROM t", "duckdb"),
    ("SELECT * REPLACE (a + 1 AS a) FROM t", "duckdb"),
    ("SELECT * EXCEPT (a) FROM t", "bigquery"),
    ("SELECT * RENAME (a AS b) FROM t", "snowflake"),
])
def test_star_modifiers_are_not_calls(sql, dialect):
    assert calls(sql, dialect) == []
