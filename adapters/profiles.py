"""Connection profiles, in the style dbt users know: named targets and a default one.

``profiles.yml`` is looked for in ``--profiles-dir`` (or ``METRICS_PROFILES_DIR``), then next
to ``project.yml``, then in ``~/.metrics/``. Its top-level key is the project's ``name``::

    acme_sales:
      target: dev                      # the default target
      outputs:
        dev: {type: duckdb, database: ":memory:", data: ../examples/data}
        warehouse:
          type: postgres
          host: db.internal
          user: analyst
          password: "{{ env_var('METRICS_PG_PASSWORD') }}"
          dbname: crm
          schema: sales

``--connection URL`` opens one URL instead (``duckdb:///crm.duckdb``,
``postgresql://user@host/db``, ``sc://spark-connect:15002``, ``mysql://user@host:3306/db``
(or ``mariadb://``), ``sqlite:///crm.db``, ``clickhouse://host:8123/db``, ``chdb:`` or
``chdb:///folder``, ``snowflake://user@account/db/schema?warehouse=wh``, or any SQLAlchemy URL:
a ``scheme+driver://`` URL always goes through SQLAlchemy). For files, three slashes start a
path relative to the working directory and four an absolute one; ``?schema=NAME`` picks the
schema to read (``chdb:////data/crm?schema=metrics_sample``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from sales_metrics.engine import inputs
from sales_metrics.engine.diagnostics import UsageError, did_you_mean, one_of

from . import secrets

if TYPE_CHECKING:
    from sales_metrics.engine.project import Project

PROFILES_FILE = "profiles.yml"
HOME_DIR = Path("~/.metrics")


@dataclass(frozen=True)
class Target:
    """The connection settings chosen for a command, and where they came from."""

    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    def describe(self) -> str:
        return f"target '{secrets.mask(self.name)}'"

    @property
    def kind(self) -> str:
        return str(self.settings.get("type", "duckdb")).lower()


def resolve_target(project: "Project", settings: dict[str, Any] | None = None,
                   target: str | None = None, connection: str | None = None,
                   profiles_dir: str | Path | None = None) -> Target:
    """The target a command runs on (see the module docstring for the order)."""
    if settings is not None:
        return Target("settings", dict(settings), "the Python API")
    if connection:
        return Target(connection, settings_from_url(connection), "--connection")
    target = target or os.environ.get("METRICS_TARGET") or None
    path = find_profiles(project.root, profiles_dir)
    if path is None:
        if target:
            raise UsageError(f"--target '{target}': no {PROFILES_FILE} found (looked in "
                             f"{', '.join(str(p) for p in search_dirs(project.root, profiles_dir))})"
                             f"; create one (see examples/{PROFILES_FILE}) or pass --connection URL")
        return _project_target(project)
    return _from_profiles(project, path, target)


def _project_target(project: "Project") -> Target:
    return Target("project", project.settings.connection.model_dump(), "project.yml")


def search_dirs(root: Path, profiles_dir: str | Path | None = None) -> list[Path]:
    explicit = profiles_dir or os.environ.get("METRICS_PROFILES_DIR")
    if explicit:
        return [Path(explicit).expanduser()]
    return [root, HOME_DIR.expanduser()]


def find_profiles(root: Path, profiles_dir: str | Path | None = None) -> Path | None:
    dirs = search_dirs(root, profiles_dir)
    for folder in dirs:
        inputs.probe(folder / PROFILES_FILE)
        if (folder / PROFILES_FILE).is_file():
            return folder / PROFILES_FILE
    if profiles_dir or os.environ.get("METRICS_PROFILES_DIR"):
        raise UsageError(f"no {PROFILES_FILE} in {dirs[0]}")
    return None


def read_profiles(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"{path}: cannot read profiles: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a profiles file maps a project name to its targets")
    return data


def _from_profiles(project: "Project", path: Path, target: str | None) -> Target:
    profiles = read_profiles(path)
    name = project.settings.name
    profile = profiles.get(name)
    if profile is None:
        if target:
            raise UsageError(f"{path}: no profile '{name}' (the project's name); "
                             + (did_you_mean(name, profiles) or one_of(map(str, profiles))))
        return _project_target(project)
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        raise UsageError(f"{path}: profile '{name}' needs 'outputs:', a mapping of targets")
    outputs: dict[str, Any] = profile["outputs"]
    chosen = target or profile.get("target")
    if not chosen:
        raise UsageError(f"{path}: profile '{name}' has no default 'target:'; pass --target "
                         f"({one_of(outputs)})")
    settings = outputs.get(chosen)
    if not isinstance(settings, dict):
        raise UsageError(f"target '{chosen}' is not in {path}; "
                         + (did_you_mean(chosen, outputs) or one_of(outputs)))
    return Target(str(chosen), dict(settings), str(path))


_SCHEMES = {"duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres",
            "sc": "spark", "spark": "spark", "databricks": "sqlalchemy", "mysql": "mysql",
            "mariadb": "mariadb", "sqlite": "sqlite", "clickhouse": "clickhouse",
            "clickhouses": "clickhouse", "chdb": "chdb", "snowflake": "snowflake"}
# Embedded engines whose URL names a file or folder: duckdb:///rel, sqlite:////abs, chdb:
_FILE_SCHEMES = {"duckdb", "sqlite", "chdb"}


def settings_from_url(url: str) -> dict[str, Any]:
    """Settings for a one-off ``--connection URL``."""
    if url.startswith("local"):  # local, local[4]: an in-process Spark
        return {"type": "spark", "master": url}
    scheme = urlsplit(url).scheme.lower()
    if url.lower() == "chdb:":  # the embedded ClickHouse, in memory
        return {"type": "chdb", "database": ":memory:"}
    if not scheme or "://" not in url:
        raise UsageError(f"--connection '{secrets.mask(url)}' is not a URL; e.g. "
                         "duckdb:///crm.duckdb, postgresql://user@host/db, sc://host:15002")
    kind = _SCHEMES.get(scheme, "sqlalchemy")
    if kind in _FILE_SCHEMES:
        path, _, query = url.partition("?")
        return {"type": kind, "database": _file_path(path), **_file_options(query)}
    if kind == "spark":
        return {"type": "spark", ("remote" if scheme == "sc" else "master"): url}
    return {"type": kind, "url": url}


def _file_path(url: str) -> str:
    """The file of ``scheme:///relative`` or ``scheme:////absolute`` (or ``:memory:``)."""
    path = unquote(url.split("://", 1)[1])
    path = path[1:] if path.startswith("/") else path
    if path in ("", ":memory:"):
        return ":memory:"
    return str(Path(path).expanduser().resolve())


def _file_options(query: str) -> dict[str, str]:
    """``?schema=name``: the one option a file URL takes (the schema to read)."""
    options = dict(parse_qsl(query))
    unknown = sorted(set(options) - {"schema"})
    if unknown:
        raise UsageError(f"unknown option '{unknown[0]}' in the URL; a file URL takes only "
                         "?schema=NAME")
    return options
