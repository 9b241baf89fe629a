"""What each dialect can and cannot do, as data rather than ``if dialect == ...`` chains."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    file_sources: bool = False  # read_parquet('...') / read_csv_auto('...') in FROM


_OVERRIDES: dict[str, Capabilities] = {
    "duckdb": Capabilities(file_sources=True),
}


def capabilities(dialect: str) -> Capabilities:
    return _OVERRIDES.get(dialect.lower(), Capabilities())
