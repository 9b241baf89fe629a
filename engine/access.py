"""What definitions and requests may reach besides the project's data: nothing.

Two checks, shared by the ``file-access`` and ``path-outside-project`` rules, the ``--where``
parser and the DuckDB sandbox (:mod:`sales_metrics.adapters.duckdb`):

- :func:`file_access_problem`: an expression or query that calls a function reading files,
  URLs, the environment or the engine's settings (``read_text``, ``read_csv``, ``glob``,
  ``getenv``, ``file()``, ``url()``, ...) or names a file as a table (``FROM '/etc/passwd'``).
  Only the engine writes such calls: a ``path:`` source becomes ``read_parquet(...)`` after
  this check, never before it.
- :func:`outside`: a path that, with ``..`` and symlinks resolved, is neither in the project
  folder nor in one of the folders ``allowed_paths`` names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from sqlglot import exp

# Lower-case names, any dialect: DuckDB, PostgreSQL, ClickHouse, Spark, SQLite, MySQL.
FILE_FUNCTIONS = frozenset("""
    read_text read_blob read_csv read_csv_auto csv_scan read_parquet parquet_scan
    read_json read_json_auto read_json_objects read_json_objects_auto read_ndjson
    read_ndjson_auto read_ndjson_objects read_xlsx read_xml read_avro st_read sniff_csv
    parquet_metadata parquet_schema parquet_file_metadata parquet_kv_metadata parquet_bloom_probe
    iceberg_scan iceberg_metadata iceberg_snapshots delta_scan glob getenv current_setting
    duckdb_settings duckdb_secrets which_secret duckdb_extensions query query_table
    json_execute_serialized_sql sqlite_scan sqlite_attach postgres_scan postgres_query
    mysql_scan mysql_query pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file lo_import
    lo_export load_extension readfile writefile file url s3 s3cluster gcs hdfs azure
    azureblobstorage cluster clustersecure remote remotesecure mysql postgresql jdbc odbc
    executable input urlcluster filesystemavailable filesystemcapacity filesystemunreserved
    hostname fullhostname
    getmacro http_get http_post load_file input_file_name
""".split())
_FILE_LIKE = re.compile(r"[/\\]|://|\.(csv|tsv|txt|json|ndjson|jsonl|parquet|gz|zst|xlsx|db"
                        r"|duckdb|sqlite)$", re.IGNORECASE)


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


def file_access_problem(tree: exp.Expression) -> str | None:
    """Why ``tree`` could read outside the project's data, or None."""
    for node in tree.walk():
        if isinstance(node, exp.Func) and function_name(node) in FILE_FUNCTIONS:
            return (f"{function_name(node)}() reads files, the network or the environment; "
                    "only the project's sources may be read")
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            problem = _table_problem(node)
            if problem:
                return problem
    return None


def _table_problem(table: exp.Table) -> str | None:
    name = table.name
    called = table.args.get("alias") is not None and table.args["alias"].columns
    if name.lower() in FILE_FUNCTIONS and called:  # DuckDB's parse of file('x'): a call
        return (f"{name}(...) reads files, the network or the environment; only the "
                "project's sources may be read")
    if _FILE_LIKE.search(name):
        return (f"'{name}' names a file or URL as a table; declare it as a source "
                "(`path:` in the project's folder) instead")
    return None


def folders(root: Path, allowed_paths: Iterable[str]) -> list[Path]:
    """The project folder and every folder ``allowed_paths`` names, resolved."""
    return [root.resolve(), *(resolved(root, text) for text in allowed_paths)]


def resolved(root: Path, text: str | Path) -> Path:
    """``text`` (``~`` expanded) relative to ``root`` unless absolute, with ``..`` and symlinks
    resolved: the one way the project turns a setting into a path."""
    path = Path(text).expanduser()
    return (path if path.is_absolute() else root / path).resolve()


def outside(path: Path, allowed: Iterable[Path]) -> bool:
    """True when ``path`` (already resolved) is in none of the ``allowed`` folders."""
    return not any(path == folder or path.is_relative_to(folder) for folder in allowed)
