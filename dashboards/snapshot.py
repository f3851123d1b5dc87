"""The published snapshot: the only thing the dashboards read.

A pipeline run exports the marts the dashboards need to Parquet in a new version folder and
then swaps a `current` symlink to it in one atomic rename, so readers see either the old or
the new snapshot, never a half-written one, and never wait on the warehouse's write lock.

```
<snapshots_dir>/
  v-20260315T101530123456Z/    one folder per publish (immutable once renamed into place)
    kpi_daily.parquet …
    manifest.json              version, published_at, as_of, horizon_date, thresholds,
                               row counts, missing tables
  current -> v-20260315T101530123456Z
```
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from omnistock.tables import (
    CYCLE_COUNT_REQUEST_LINES,
    CYCLE_COUNT_REQUESTS,
    LOCATION_CATEGORY_RISK,
    LOCATION_RISK,
)

from .derived import derived_tables
from .desk import Desk

CURRENT_LINK = "current"
MANIFEST_FILE = "manifest.json"
VERSION_PREFIX = "v-"
STAGING_PREFIX = ".staging-"
KEEP_VERSIONS = 2
# A staging folder this old belongs to a publisher that died; younger ones may be in use.
STALE_STAGING_SECONDS = 3600

# Everything the pages read. Bare names are looked up in any schema of the warehouse
# (marts first), so the risk and cycle-count tables are found where their jobs write them
# (today intelligence.location_risk and actions.cycle_count_requests).
DASHBOARD_TABLES: tuple[str, ...] = (
    "kpi_daily",
    "kpi_catalog",
    "kpi_observations",
    "kpi_period",
    "int_data_horizon",
    "dim_locations",
    "fct_order_lines",
    "fct_transfers",
    "fct_returns",
    "fct_integration_disruptions",
    "process_transitions",
    "stalled_cases",
    "exception_queue",
    "alert_conditions",
    "kpi_movements",
    "int_source_watermarks",
    "case_events",
    *(
        table.name
        for table in (
            LOCATION_RISK,
            LOCATION_CATEGORY_RISK,
            CYCLE_COUNT_REQUESTS,
            CYCLE_COUNT_REQUEST_LINES,
        )
    ),
)
SCHEMA_PREFERENCE = ("marts", "main")
# The thresholds a manifest may record (policy values the pages draw).
THRESHOLDS = ("risk_threshold",)


class SnapshotNotFound(FileNotFoundError):
    """No snapshot has been published in the folder yet."""


@dataclass(frozen=True)
class Snapshot:
    """An open snapshot: the connection plus what its manifest says."""

    version: str
    folder: Path
    manifest: dict

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self.manifest.get("tables", {}))

    @property
    def as_of(self) -> str | None:
        return self.manifest.get("as_of")

    @property
    def horizon_date(self) -> date | None:
        """The data horizon's day: the last complete KPI day (None if unknown)."""
        value = self.manifest.get("horizon_date")
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:  # a day Python cannot hold
            return None

    @property
    def risk_threshold(self) -> float | None:
        """The risk score from which the cycle-count policy asks for a count, as the
        publisher recorded it (None in a snapshot published before thresholds were)."""
        return self.manifest.get("thresholds", {}).get("risk_threshold")


def thresholds_from_info(info: Mapping[str, str | None]) -> dict[str, float]:
    """The manifest's thresholds from a connection's snapshot_info rows (text values)."""
    return {key: float(info[key]) for key in THRESHOLDS if info.get(key) is not None}


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _resolve_sources(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str] | Mapping[str, str]
) -> dict[str, tuple[str, str] | None]:
    """snapshot name -> (schema, relation) in the warehouse, or None when it does not exist."""
    wanted = dict(tables) if isinstance(tables, Mapping) else {name: name for name in tables}
    present = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    schemas_by_table: dict[str, list[str]] = {}
    for schema, table in present:
        schemas_by_table.setdefault(table, []).append(schema)

    def preference(schema: str) -> tuple[int, str]:
        rank = SCHEMA_PREFERENCE.index(schema) if schema in SCHEMA_PREFERENCE else 99
        return rank, schema

    resolved: dict[str, tuple[str, str] | None] = {}
    for name, source in wanted.items():
        if "." in source:
            schema, table = source.split(".", 1)
            found = schema in schemas_by_table.get(table, [])
            resolved[name] = (schema, table) if found else None
        else:
            schemas = sorted(schemas_by_table.get(source, []), key=preference)
            resolved[name] = (schemas[0], source) if schemas else None
    return resolved


def _new_version_name(snapshots_dir: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name, suffix = f"{VERSION_PREFIX}{stamp}", 1
    while (snapshots_dir / name).exists():
        name, suffix = f"{VERSION_PREFIX}{stamp}-{suffix}", suffix + 1
    return name


def _data_as_of(reader: duckdb.DuckDBPyConnection, staged: dict[str, Path]) -> str | None:
    """The data's own clock: the marts' as_of (latest occurred_at), else the last KPI day."""
    for table, column in (
        ("exception_queue", "as_of"),
        ("stalled_cases", "as_of"),
        ("kpi_daily", "kpi_date"),
    ):
        if table in staged:
            path = _quote_literal(str(staged[table]))
            value = reader.execute(f"select max({column}) from read_parquet({path})").fetchall()[0][
                0
            ]
            if value is not None:
                # DuckDB hands a day Python cannot hold (before year 1, after 9999) over as text
                return value if isinstance(value, str) else value.isoformat()
    return None


def _data_horizon(reader: duckdb.DuckDBPyConnection, staged: dict[str, Path]) -> dict:
    """The data horizon (int_data_horizon): the last complete KPI day and its time."""
    if "int_data_horizon" not in staged:
        return {}
    path = _quote_literal(str(staged["int_data_horizon"]))
    # one row; among stray copies the latest that Python can hold
    rows = reader.execute(
        f"select cast(horizon_date as varchar), cast(horizon_at as varchar) "
        f"from read_parquet({path}) "
        "where horizon_date between date '0001-01-01' and date '9999-12-31' "
        "order by horizon_at desc limit 1"
    ).fetchall()
    if not rows or rows[0][0] is None:
        return {}
    return {"horizon_date": rows[0][0], "horizon_at": rows[0][1]}


def _write(con: duckdb.DuckDBPyConnection, select: str, path: Path, source: str) -> dict:
    """Write a query's rows to a Parquet file; its manifest entry."""
    con.execute(
        f"copy ({select}) to {_quote_literal(str(path))} (format parquet, compression zstd)"
    )
    written = f"select * from read_parquet({_quote_literal(str(path))})"
    rows = con.execute(f"select count(*) from ({written})").fetchall()[0][0]
    columns = [row[0] for row in con.execute(f"describe {written}").fetchall()]
    return {"file": path.name, "rows": rows, "source": source, "columns": columns}


def _export(
    con: duckdb.DuckDBPyConnection, sources: dict[str, tuple[str, str] | None], staging: Path
) -> tuple[dict[str, dict], dict[str, Path]]:
    """Copy every found relation to Parquet inside one read transaction (one consistent view)."""
    tables: dict[str, dict] = {}
    staged: dict[str, Path] = {}
    reader = con.cursor()
    try:
        reader.execute("begin transaction")
        for name, source in sources.items():
            if source is None:
                continue
            relation = ".".join(_quote_identifier(part) for part in source)
            path = staging / f"{name}.parquet"
            tables[name] = _write(reader, f"select * from {relation}", path, ".".join(source))
            staged[name] = path
        reader.execute("commit")
    except BaseException:
        reader.execute("rollback")
        raise
    finally:
        reader.close()
    return tables, staged


def _point_current_at(snapshots_dir: Path, version: str) -> None:
    """Swap the `current` symlink atomically: a new link under a temp name, then rename."""
    temporary = snapshots_dir / f".{CURRENT_LINK}-{os.getpid()}-{threading.get_ident()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(version, target_is_directory=True)
    os.replace(temporary, snapshots_dir / CURRENT_LINK)


def list_versions(snapshots_dir: Path | str) -> list[str]:
    """Published version folders, oldest first (names sort chronologically)."""
    folder = Path(snapshots_dir)
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and not p.is_symlink() and p.name.startswith(VERSION_PREFIX)
    )


def prune_versions(snapshots_dir: Path | str, keep: int = KEEP_VERSIONS) -> list[str]:
    """Delete all but the newest `keep` versions (never the current one); returns the removed."""
    folder = Path(snapshots_dir)
    current = current_version(folder)
    versions = list_versions(folder)
    removed = [v for v in versions[: max(len(versions) - keep, 0)] if v != current]
    for version in removed:
        shutil.rmtree(folder / version, ignore_errors=True)
    for staging in folder.glob(f"{STAGING_PREFIX}*"):
        if time.time() - staging.stat().st_mtime > STALE_STAGING_SECONDS:
            shutil.rmtree(staging, ignore_errors=True)
    return removed


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    snapshots_dir: Path | str,
    tables: Iterable[str] | Mapping[str, str] = DASHBOARD_TABLES,
    *,
    keep: int = KEEP_VERSIONS,
    risk_threshold: float | None = None,
    home: Path | str | None = None,
) -> Path:
    """Export `tables` from the warehouse to a new snapshot version, make it current, prune.

    `tables` lists snapshot names (looked up in any schema, marts first) or maps snapshot
    names to relations ("schema.table"). A table that does not exist yet is recorded under
    `missing` in the manifest and the pages that need it show an empty state.
    `risk_threshold` is the deployed cycle-count policy's: the manifest records it under
    `thresholds` and the risk page draws it (without it, no threshold is drawn).
    The version also holds what changed since the previous one and the planners' work from
    `home`'s work log (dashboards/derived.py; default home: the folder of `snapshots_dir`).
    Returns the new version folder.
    """
    snapshots_dir = Path(snapshots_dir)
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    version = _new_version_name(snapshots_dir)
    staging = snapshots_dir / f"{STAGING_PREFIX}{version}"
    staging.mkdir()
    try:
        sources = _resolve_sources(con, tables)
        exported, staged = _export(con, sources, staging)
        previous = current_version(snapshots_dir)  # what this version is compared with
        desk = Desk.at_home(home) if home else Desk.beside(snapshots_dir)
        with duckdb.connect() as scratch:
            as_of = _data_as_of(scratch, staged)
            horizon = _data_horizon(scratch, staged)
            derived, extras = derived_tables(
                scratch, staged, previous and snapshots_dir / previous, desk.worklog
            )
            for name, (select, source) in derived.items():
                exported[name] = _write(scratch, select, staging / f"{name}.parquet", source)
        manifest = {
            "version": version,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "as_of": as_of,
            **horizon,
            "thresholds": {} if risk_threshold is None else {"risk_threshold": risk_threshold},
            "tables": exported,
            "missing": sorted(name for name, source in sources.items() if source is None),
            **extras,
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        for path in staging.iterdir():
            path.chmod(0o444)  # a published version is immutable
        staging.rename(snapshots_dir / version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point_current_at(snapshots_dir, version)
    prune_versions(snapshots_dir, keep)
    return snapshots_dir / version


def current_version(snapshots_dir: Path | str) -> str | None:
    """Name of the version `current` points to, or None before the first publish."""
    try:
        return os.readlink(Path(snapshots_dir) / CURRENT_LINK)
    except OSError:
        return None


def read_manifest(snapshots_dir: Path | str, version: str | None = None) -> dict:
    version = version or current_version(snapshots_dir)
    if version is None:
        raise SnapshotNotFound(f"no snapshot published in {snapshots_dir}")
    return json.loads((Path(snapshots_dir) / version / MANIFEST_FILE).read_text())


def _open_version(folder: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    con = duckdb.connect(":memory:")
    files = []
    for name, table in manifest["tables"].items():
        path = str(folder / table["file"])
        files.append(path)
        con.execute(
            f"create view {_quote_identifier(name)} as "
            f"select * from read_parquet({_quote_literal(path)})"
        )
    # So a bare connection (open_snapshot) still knows which snapshot it reads.
    con.execute("create table snapshot_info (key varchar, value varchar)")
    thresholds = manifest.get("thresholds", {})
    con.executemany(
        "insert into snapshot_info values (?, ?)",
        [(key, manifest.get(key)) for key in ("version", "as_of", "horizon_date", "published_at")]
        + [(key, str(thresholds[key])) for key in THRESHOLDS if key in thresholds],
    )
    # Read-only in effect: the views are the only way out, file access is limited to this
    # version's (read-only) Parquet files, and nobody can lift that on this connection.
    con.execute("set allowed_paths = ?", [files])
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con, manifest


def open_snapshot(snapshots_dir: Path | str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table of the current snapshot."""
    version = current_version(snapshots_dir)
    if version is None:
        raise SnapshotNotFound(f"no snapshot published in {snapshots_dir}")
    con, _ = _open_version(Path(snapshots_dir) / version)
    return con


class SnapshotReader:
    """Serves cursors on the current snapshot to many threads; follows new publishes.

    Each request gets its own cursor (DuckDB connections are not shared across threads).
    When `current` moves, the next request opens the new version; requests still running
    on the old one finish on it (pruning keeps the previous version).
    """

    def __init__(self, snapshots_dir: Path | str):
        self.snapshots_dir = Path(snapshots_dir)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None

    def open(self) -> tuple[duckdb.DuckDBPyConnection, Snapshot] | None:
        """(cursor, snapshot) on the current version, or None before the first publish."""
        version = current_version(self.snapshots_dir)
        if version is None:
            return None
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                folder = self.snapshots_dir / version
                connection, manifest = _open_version(folder)
                self._connection = connection
                self._snapshot = Snapshot(version=version, folder=folder, manifest=manifest)
            return self._connection.cursor(), self._snapshot
