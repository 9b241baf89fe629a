"""Load the sample data into a target: the one place that writes (``metrics seed``).

Every Parquet file in the data folder becomes a table named after the file, in one schema.
Only those tables are created or replaced, and an existing one is replaced only when asked.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable

from sales_metrics.engine.diagnostics import UsageError

DEFAULT_SCHEMA = "metrics_sample"


def sample_files(folder: Path) -> dict[str, Path]:
    """Table name -> Parquet file, for every Parquet file in ``folder``."""
    if not folder.is_dir():
        raise UsageError(f"data folder {folder} does not exist")
    files = {p.stem: p for p in sorted(folder.glob("*.parquet")) if p.stem.isidentifier()}
    if not files:
        raise UsageError(f"no Parquet files in {folder}")
    return files


def seed(adapter, folder: Path, schema: str | None, replace: bool = False,
         step: Callable[[int, int, str], None] | None = None) -> list[str]:
    """Create (or with ``replace``, replace) one table per sample file; returns their names."""
    import pyarrow.parquet as pq

    if not hasattr(adapter, "load_table"):
        raise UsageError(f"seeding is not supported on {adapter.name}; load the files in "
                         f"{folder} with the warehouse's own tools")
    files = sample_files(folder)
    clash = sorted(adapter.tables(schema) & set(files))
    if clash and not replace:
        where = f"schema '{schema}'" if schema else "the default schema"
        raise UsageError(f"{where} already has table{'s' * (len(clash) > 1)} "
                         f"{', '.join(clash)}; pass --replace to replace "
                         f"{'them' if len(clash) > 1 else 'it'} with the sample data")
    for i, (name, path) in enumerate(files.items(), 1):
        if step:
            step(i, len(files), name)
        adapter.load_table(name, pq.read_table(path), schema)
    return list(files)
