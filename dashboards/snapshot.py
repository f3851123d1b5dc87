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

from .derived import derived_tables
from .desk import Desk
from .snapshot_tables import (
    DASHBOARD_SLICES,
    DASHBOARD_TABLES,
    PUBLISHED,
    Slice,
    data_as_of,
    data_horizon,
    export_tables,
    quote_identifier,
    quote_literal,
    resolve_sources,
    write_parquet,
)

__all__ = ["DASHBOARD_SLICES", "DASHBOARD_TABLES", "PUBLISHED", "Slice"]  # what it publishes

CURRENT_LINK = "current"
MANIFEST_FILE = "manifest.json"
VERSION_PREFIX = "v-"
STAGING_PREFIX = ".staging-"
KEEP_VERSIONS = 2
# A staging folder this old belongs to a publisher that died; younger ones may be in use.
STALE_STAGING_SECONDS = 3600

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


def _new_version_name(snapshots_dir: Path) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name, suffix = f"{VERSION_PREFIX}{stamp}", 1
    while (snapshots_dir / name).exists():
        name, suffix = f"{VERSION_PREFIX}{stamp}-{suffix}", suffix + 1
    return name


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
    tables: Iterable[str] | Mapping[str, str | Slice] = PUBLISHED,
    *,
    keep: int = KEEP_VERSIONS,
    risk_threshold: float | None = None,
    home: Path | str | None = None,
) -> Path:
    """Export `tables` from the warehouse to a new snapshot version, make it current, prune.

    `tables` lists snapshot names (looked up in any schema, marts first) or maps snapshot
    names to relations ("schema.table") or to a `Slice` of one (its rows that meet a
    predicate); by default the tables the pages read and their slices. A table that does not exist yet is recorded under
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
        sources = resolve_sources(con, tables)
        exported, staged = export_tables(con, sources, staging, tables)
        previous = current_version(snapshots_dir)  # what this version is compared with
        desk = Desk.at_home(home) if home else Desk.beside(snapshots_dir)
        with duckdb.connect() as scratch:
            as_of = data_as_of(scratch, staged)
            horizon = data_horizon(scratch, staged)
            derived, extras = derived_tables(
                scratch, staged, previous and snapshots_dir / previous, desk.worklog
            )
            for name, (select, source) in derived.items():
                exported[name] = write_parquet(scratch, select, staging / f"{name}.parquet", source)
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
            f"create view {quote_identifier(name)} as "
            f"select * from read_parquet({quote_literal(path)})"
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
