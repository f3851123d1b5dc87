"""The local Dagster home's storage: Dagster's SQLite storage, without an fsync per event.

Dagster's SQLite event log opens a new engine and connection for every write and closes it
again; with the default `synchronous=FULL` each close of the last connection to a WAL database
checkpoints it with fsyncs. A pipeline run writes a few events per asset and per asset check
before its first step (one "planned" event each: ~290 for this project, ~1,000 SQLite
connections), and as many again while it runs, so a run paid 5-17 s of fsyncs on a busy disk
before its first step (docs/benchmarks.md, "Fixed costs per run"). This storage:

- sets `PRAGMA synchronous=OFF` on every connection to the run, event-log and schedule
  databases: nothing is lost when a process crashes or is killed (the operating system holds
  the written pages); an operating-system crash or power cut can lose or damage the latest
  records of the local run history (not the warehouse, which DuckDB writes). Deployments keep
  their run history in PostgreSQL (docs/deployment.md), which this does not touch;
- keeps one engine per event-log database instead of creating one per write (connections are
  still opened and closed per write, as Dagster does, so the UI's file watcher still sees a
  running run's events arrive);
- remembers that a table exists once seen (Dagster asks again for every asset-check event).

`omnistock.app.runtime.DAGSTER_YAML` names it (`storage: custom`); the files and their layout are
Dagster's own (`history/runs.db`, `history/runs/<run>.db`, `schedules/`), so a home written by
plain Dagster reads the same, and the other way round.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as db
from dagster._config import StringSource
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_SECONDS = 30  # Dagster's own (dagster._core.storage.sqlite)
ENGINES_KEPT = 32  # event-log databases (one per run) whose engine is kept


def _without_fsync(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def _no_fsync_engine(conn_string: str) -> db.engine.Engine:
    engine = create_engine(
        conn_string, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )
    db.event.listen(engine, "connect", _without_fsync)
    return engine


class LocalSqliteEventLogStorage(SqliteEventLogStorage):
    """One SQLite file per run plus an index, as Dagster's; one engine per file, no fsync."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._tables_seen: set[str] = set()
        self._tables_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> db.engine.Engine:
        engine = self._engines.pop(shard, None) or _no_fsync_engine(
            self.conn_string_for_shard(shard)
        )
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > ENGINES_KEPT:
            _, evicted = self._engines.popitem(last=False)
            evicted.dispose()
        return engine

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:
        # SqliteEventLogStorage._connect with a kept engine (Dagster creates and disposes one)
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # tables are only ever added (by migrations): a table seen once stays
        with self._tables_lock:
            if table_name in self._tables_seen:
                return True
        present = super().has_table(table_name)
        if present:
            with self._tables_lock:
                self._tables_seen.add(table_name)
        return present

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


class LocalSqliteRunStorage(SqliteRunStorage):
    @contextlib.contextmanager
    def connect(self) -> Iterator[db.engine.Connection]:
        # SqliteRunStorage.connect, without fsync
        with _no_fsync_engine(self._conn_string).connect() as conn, conn.begin():
            yield conn


class LocalSqliteScheduleStorage(SqliteScheduleStorage):
    @contextlib.contextmanager
    def connect(self) -> Iterator[db.engine.Connection]:
        # SqliteScheduleStorage.connect, without fsync
        with _no_fsync_engine(self._conn_string).connect() as conn, conn.begin():
            yield conn


class LocalSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage below `base_dir` (the Dagster home), written without fsync."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        # DagsterSqliteStorage.__init__ with the classes above
        self.base_dir = base_dir
        self._run_storage = LocalSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = LocalSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = LocalSqliteScheduleStorage.from_local(
            _schedule_directory(base_dir)
        )
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def config_type(cls) -> dict:
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: dict):
        return cls(inst_data=inst_data, **config_value)
