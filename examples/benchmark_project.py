"""Generate a large, valid metrics project to time validation on (the lead's benchmark
imports :func:`make_project`).

    python examples/benchmark_project.py            # generate 1,000 metrics and time validate

A quarter of the sources are lookup tables (an owner's region and team); the others are
fact tables joined to one of them. Each fact source gets blocks of metrics of every kind:
counts and sums with filters, ratios with filters on both sides and on the numerator,
averages, distinct counts, conversions within a window, balances, formulas, to-date and
trailing windows, period-over-period comparisons and per-entity aggregates. Every metric is
documented, formatted and named in snake_case, so the project validates clean with every
lint rule on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DIMENSIONS = ["channel", "product", "region", "team"]
PROJECT = {"name": "benchmark", "dialect": "duckdb", "vars": {"won": "won", "closed": "closed"}}
MACROS = "{% macro is_won() %}outcome = '{{ var(\"won\") }}'{% endmacro %}\n"


def make_project(dir: str | Path, metrics: int = 1000, sources: int = 20,
                 lint: dict[str, str] | None = None) -> Path:
    """Write project.yml, sources.yml, macros/ and one metrics file per fact source into
    ``dir``; return the folder. ``lint`` goes to the project file as is."""
    root = Path(dir)
    (root / "macros").mkdir(parents=True, exist_ok=True)
    (root / "macros" / "sales.sql").write_text(MACROS)
    _dump(root / "project.yml", {**PROJECT, **({"lint": lint} if lint else {})})
    lookups = [f"owners_{i:02d}" for i in range(max(1, sources // 4))]
    facts = [f"events_{i:02d}" for i in range(sources - len(lookups))]
    _dump(root / "sources.yml", {"sources": [_fact(f, lookups[i % len(lookups)])
                                             for i, f in enumerate(facts)]
                                 + [_lookup(name) for name in lookups]})
    per_source: dict[str, list[dict[str, Any]]] = {f: [] for f in facts}
    for i in range(metrics):
        source = facts[i % len(facts)]
        block, kind = divmod(len(per_source[source]), len(KINDS))
        per_source[source].append(KINDS[kind](f"{source}_b{block}", source))
    for source, items in per_source.items():
        _dump(root / f"{source}.yml", {"metrics": items})
    return root


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=100))


def _fact(name: str, lookup: str) -> dict[str, Any]:
    return {"name": name, "description": f"Events of kind {name}.", "table": name,
            "time": "created_at", "key": "id",
            "dimensions": {"channel": "coalesce(channel, 'unknown')", "product": "product"},
            "joins": [{"to": lookup, "on": f"owner_id = {lookup}.id"}]}


def _lookup(name: str) -> dict[str, Any]:
    return {"name": name, "description": "Owners: region and team.", "table": name,
            "key": "id", "dimensions": {"region": "region", "team": "team"}}


def _base(name: str, label: str, fmt: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "description": f"{label}, generated.",
            "owner": "benchmark", **fields, "dimensions": list(DIMENSIONS), "format": fmt}


def _derived(name: str, label: str, fmt: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "description": f"{label}, generated.",
            "owner": "benchmark", **fields, "format": fmt}


KINDS = [
    lambda p, s: _base(f"{p}_count", "Events", "number", source=s, numerator="count(*)",
                       filters=["status <> 'cancelled'"]),
    lambda p, s: _base(f"{p}_won_amount", "Won amount", "currency", source=s, time="closed_at",
                       numerator="sum(amount)", filters=["{{ is_won() }}"]),
    lambda p, s: _base(f"{p}_win_rate", "Win rate", "percent", source=s, time="closed_at",
                       numerator="count(*)", denominator="count(*)",
                       filters=["status = '{{ var(\"closed\") }}'"],
                       numerator_filters=["{{ is_won() }}"], min_denominator=5,
                       target={"value": 0.25, "direction": "higher"}),
    lambda p, s: _base(f"{p}_cycle_days", "Cycle length", "days", source=s, time="closed_at",
                       numerator="avg(date_diff('day', cast(created_at as date), "
                                 "cast(closed_at as date)))",
                       filters=["closed_at is not null", "amount > 0"]),
    lambda p, s: _base(f"{p}_customers", "Customers", "number", source=s,
                       numerator="count(distinct customer_id)"),
    lambda p, s: _base(f"{p}_converted_90d", "Converted within 90 days", "percent", source=s,
                       conversion={"start": "created_at", "end": "closed_at",
                                   "within_days": 90}),
    lambda p, s: _base(f"{p}_open_amount", "Open amount", "currency", source=s,
                       measure="sum(amount)",
                       balance={"opens": "created_at", "closes": "closed_at", "at": "end"}),
    lambda p, s: _derived(f"{p}_won_per_event", "Won amount per event", "currency",
                          formula=f"{p}_won_amount / {p}_count"),
    lambda p, s: _derived(f"{p}_won_amount_ytd", "Won amount, year to date", "currency",
                          of=f"{p}_won_amount", to_date="year"),
    lambda p, s: _derived(f"{p}_won_amount_growth", "Won amount growth", "percent",
                          of=f"{p}_won_amount", compare="previous_period"),
    lambda p, s: _derived(f"{p}_teams_over_1k", "Teams winning over 1,000", "percent",
                          of=f"{p}_won_amount", entity="team", condition="> 1000",
                          aggregate="share"),
    lambda p, s: _derived(f"{p}_win_rate_trailing_3", "Win rate, trailing 3", "percent",
                          of=f"{p}_win_rate", trailing=3),
]


def _time(path: Path, repeat: int = 5) -> float:
    import time

    from sales_metrics import engine

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        project, diagnostics = engine.check_project(path)
        best = min(best, time.perf_counter() - start)
        assert project is not None and not diagnostics, [d.render() for d in diagnostics]
    return best


def main() -> None:
    import tempfile

    from sales_metrics.engine.rules.lint import DEFAULTS

    with tempfile.TemporaryDirectory() as tmp:
        on = make_project(Path(tmp) / "lint_on")
        off = make_project(Path(tmp) / "lint_off", lint=dict.fromkeys(DEFAULTS, "off"))
        print(f"1,000 metrics, 20 sources: validate {_time(on):.3f} s with the lint rules, "
              f"{_time(off):.3f} s without")


if __name__ == "__main__":
    main()
