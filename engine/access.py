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

**One folder for relative paths.** Every relative path a project names (a ``path:`` source,
the connection's ``data:`` folders and ``database:`` file, ``allowed_paths``) is relative to
the project file's folder (the folder of ``project.yml``), never to the working directory:
:func:`resolved` is the one function that turns such a setting into a path, and the rules,
the resolver and the adapters all call it. A ``sql:`` source never names a file itself
(``read_parquet('x.parquet')`` is refused by :func:`file_access_problem`): it reads a file
by the name of the ``path:`` source that declares it (``select * from deals_file``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the path functions below are used without sqlglot (a kept plan's sandbox)
    from sqlglot import exp

log = logging.getLogger("metrics")
DATA_SUFFIXES = (".parquet", ".csv", ".tsv")  # the files of a `data:` folder that are tables

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
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


# Meta key the resolver sets on a relation it put in place of a source's name in a `sql:`
# source (sales_metrics.engine.resolve): that part is the other source's, checked on its own.
INLINED = "metrics_source"


def inlined(node: exp.Expression) -> str | None:
    """The source whose relation ``node`` is, when the resolver put it there; else None."""
    return node.meta_get(INLINED)


def is_inlined(node: exp.Expression) -> bool:
    """True for a relation the resolver put in a query (a ``walk(prune=...)`` callback)."""
    return node.meta_get(INLINED) is not None


def file_access_problem(tree: exp.Expression) -> str | None:
    """Why ``tree`` could read outside the project's data, or None. The relations of other
    sources that the resolver put in a `sql:` source's query are not this tree's own: a
    `path:` source's reader is the engine's, and every other source is checked by itself."""
    from sqlglot import exp

    for node in tree.walk(prune=is_inlined):
        if is_inlined(node):
            continue
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


def data_folders(value: object) -> list[object]:
    """The connection's ``data:`` setting as a list: one folder (a string) or several (a
    list); nothing when unset. Items are returned as written, for the caller to check."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def data_files(chosen: Iterable[Path], allowed: Iterable[Path] = ()) -> list[Path]:
    """The files of the ``data:`` folders that are tables, folder by folder, each sorted:
    Parquet, CSV or TSV, named like a table, and not a symlink leading out of its folder and
    the ``allowed`` ones."""
    out, allowed = [], tuple(allowed)
    for folder in chosen:
        inside = (folder.resolve(), *allowed)
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in DATA_SUFFIXES or not file.stem.isidentifier():
                continue
            if outside(file.resolve(), inside):
                log.info("not exposing %s: it leads outside the allowed folders", file)
                continue
            out.append(file)
    return out


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
