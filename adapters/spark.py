"""Spark SQL: the engine's SQL runs unchanged in ``spark.sql(...)``; results come back as Arrow.

For data that outgrows one machine: nothing is pulled into Python but the (small) result,
which Spark returns as Arrow (``DataFrame.toArrow()``, Spark 4). The session is one of:

- ``remote: sc://host:15002`` - a Spark Connect server (Databricks clusters included);
- ``master: local[*]`` (the default) or ``spark://host:7077`` - a classic session;
- the session already active in this process (a notebook's ``spark``).

``data: <folder>`` registers each Parquet file there as a temporary view named after the
file (as the DuckDB adapter does); ``database`` selects the catalog database; ``conf`` passes
Spark settings. Sessions use UTC (``spark.sql.session.timeZone``) unless ``conf`` says
otherwise, so periods do not depend on the machine's time zone. Spark has no read-only
session: the SELECT-only guard is what keeps it read-only (views are only ever temporary).
Ctrl-C interrupts the running jobs (each query is tagged, and the tag is interrupted).
"""

from __future__ import annotations

import itertools
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import BaseAdapter, resolve_path

if TYPE_CHECKING:
    import pyarrow
    from pyspark.sql import SparkSession

DEFAULT_CONF = {"spark.sql.session.timeZone": "UTC", "spark.ui.showConsoleProgress": "false",
                "spark.ui.enabled": "false"}
_TAGS = itertools.count(1)


def local_session(master: str = "local[*]", conf: dict[str, str] | None = None,
                  app_name: str = "metrics") -> "SparkSession":
    """A classic session (or the active one), with the defaults above."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**DEFAULT_CONF, **(conf or {})}.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _remote_builder(remote: str) -> Any:
    """A Spark Connect builder. For ``sc://`` it is the Connect client's own: PySpark's
    generic builder refuses a remote session while a classic one exists in the process
    (SESSION_ALREADY_EXIST), and marks the whole process as Connect-only once it made one."""
    if remote.startswith("sc://"):
        from pyspark.sql.connect.session import SparkSession as RemoteSession

        return RemoteSession.builder.remote(remote)
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(remote)


def _quiet() -> None:
    """PySpark logs every failed query's context (a JVM stack trace) to stderr as JSON; the
    adapter reports the error as one line instead."""
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)


class SparkAdapter(BaseAdapter):
    name = "spark"
    dialect = "spark"

    def __init__(self, root: Path = Path("."), master: str | None = None,
                 remote: str | None = None, data: str | None = None,
                 database: str | None = None, conf: dict[str, Any] | None = None,
                 app_name: str = "metrics", connect_timeout: float | None = None,
                 **extra: object) -> None:
        _quiet()
        self.spark, self._owned = self._session(master, remote, conf or {}, app_name)
        try:
            if database:
                self.spark.catalog.setCurrentDatabase(database)
            if data:
                self._expose(resolve_path(root, data))
        except Exception as err:  # noqa: BLE001 - Spark's errors have no common base
            self.close()
            raise self.fail(f"cannot set up the session: {_message(err)}") from None

    def _session(self, master: str | None, remote: str | None, conf: dict[str, Any],
                 app_name: str) -> tuple["SparkSession", bool]:
        from pyspark.sql import SparkSession

        try:
            if remote:
                builder = _remote_builder(remote)
                for key, value in conf.items():
                    builder = builder.config(key, str(value))
                return builder.getOrCreate(), True
            active = SparkSession.getActiveSession()
            if active is not None and master is None:
                return active, False
            return local_session(master or "local[*]", conf, app_name), active is None
        except Exception as err:  # noqa: BLE001 - py4j, gRPC and JVM start-up errors
            where = remote or master or "local[*]"
            raise self.fail(f"cannot start a session on {where}: {_message(err)}") from None

    def _expose(self, folder: Path) -> None:
        if not folder.is_dir():
            raise self.fail(f"data folder {folder} does not exist")
        for file in sorted(folder.glob("*.parquet")):
            if file.stem.isidentifier():
                self.spark.read.parquet(str(file)).createOrReplaceTempView(file.stem)

    def execute(self, sql: str) -> "pyarrow.Table":
        self.guard(sql)
        tag = f"metrics-{next(_TAGS)}"
        self.spark.addTag(tag)
        self._interrupted = False
        try:
            with self._interruptible(tag):
                frame = self.spark.sql(sql.strip().rstrip(";"))
                table = frame.toArrow()
        except KeyboardInterrupt:
            self.cancel(tag)
            raise
        except Exception as err:  # noqa: BLE001 - AnalysisException, Py4JJavaError, ...
            if self._interrupted:  # the cancelled job surfaces as a Java error
                raise KeyboardInterrupt from None
            raise self.fail(_message(err), sql) from None
        finally:
            self.spark.removeTag(tag)
        if self._interrupted:
            raise KeyboardInterrupt
        return table

    @contextmanager
    def _interruptible(self, tag: str) -> Iterator[None]:
        """Ctrl-C interrupts the query's jobs; the call then returns and KeyboardInterrupt
        is raised (raising inside py4j's call would leave the JVM side running)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_sigint(signum: int, frame: object) -> None:
            self._interrupted = True
            self.cancel(tag)

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def cancel(self, tag: str | None = None) -> None:
        """Interrupt the query's jobs (or every job of the session)."""
        try:
            if tag:
                self.spark.interruptTag(tag)
            else:
                self.spark.interruptAll()
        except Exception:  # noqa: BLE001 - the session may already be gone
            pass

    def columns(self, relation: str) -> dict[str, str]:
        sql = self.relation_sql(relation)
        self.guard(sql)
        try:
            schema = self.spark.sql(sql).schema
        except Exception as err:  # noqa: BLE001
            raise self.fail(_message(err), sql) from None
        return {f.name: f.dataType.simpleString() for f in schema.fields}

    def tables(self, schema: str | None) -> set[str]:
        try:
            return {t.name for t in self.spark.catalog.listTables(schema)}
        except Exception:  # noqa: BLE001 - no such database
            return set()

    def load_table(self, name: str, table: "pyarrow.Table", schema: str | None) -> None:
        """Create or replace a managed table from Arrow (``metrics seed``)."""
        try:
            if schema:
                self.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
            target = f"`{schema}`.`{name}`" if schema else f"`{name}`"
            self.spark.createDataFrame(table).write.mode("overwrite").saveAsTable(target)
        except Exception as err:  # noqa: BLE001
            raise self.fail(f"cannot load {name}: {_message(err)}") from None

    def close(self) -> None:
        if self._owned:
            self.spark.stop()


def _message(err: BaseException) -> str:
    """Spark's error without the JVM stack trace: its first meaningful line."""
    text = str(err).strip() or type(err).__name__
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("at ", "JVM stacktrace", "---")):
            return line
    return type(err).__name__
