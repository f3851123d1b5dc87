"""The raw event store published as a partitioned Parquet lake, for engines that read files.

DuckDB stays the event store; Spark (the dbt `spark` target) and any other file-reading
engine read this copy of it. Layout under the lake folder (`OMNISTOCK_LAKE_DIR`, default
`$OMNISTOCK_HOME/lake`; docs/deployment.md, "The Parquet lake")::

    inventory_events/occurred_date=YYYY-MM-DD/source_system=<source>/data_<n>.parquet
    locations/locations.parquet
    skus/skus.parquet
    _omnistock_lake.json

`inventory_events` is hive-partitioned by the UTC day of `occurred_at` and by source system
(both partition columns live in the folder names, not in the files; readers with hive
partitioning get them back as columns).
The reference tables are one file each, in a folder of their own so that every table is a
folder (a Spark table LOCATION, an object-store prefix). `_omnistock_lake.json` records the
layout version, when it was published, the row count of each table and a fingerprint of the
raw tables it was written from (engines skip files whose name starts with `_` or `.`).

Publishing is idempotent and replaces the lake as a whole: if the raw tables' fingerprint
(row count and an order-independent sum of row hashes, per table) equals the published one,
nothing is written; otherwise the whole lake is written to a staging folder beside it, which
then takes the lake's place by two renames (the old lake is moved aside, then deleted). A
reader therefore sees the old lake or the new one, never a half-written one; between the two
renames (microseconds) the lake folder is briefly absent, which a reader sees as a missing
path, not as wrong data. A publish that dies midway leaves the lake untouched (or absent, if
it died between the renames); the next publish cleans up and rewrites. Rewriting everything
costs one scan of the store per publish (docs/benchmarks.md, "Engines"); it buys simplicity:
late events, replayed quarantine and crash recovery can change any partition.

The engine settings live here too, beside the lake they choose: `OMNISTOCK_ENGINE` (`duckdb`,
the default, or `spark`) picks the engine dbt builds the models on (the dbt target of the
same name; `DBT_TARGET=spark_cluster` picks the cluster output instead of the local session).
`OMNISTOCK_LAKE_DIR` (default `$OMNISTOCK_HOME/lake`) is where the lake is published,
`OMNISTOCK_LAKE_URL` where it is mirrored for a Spark cluster (object storage), and
`OMNISTOCK_SPARK_DIR` (default `$OMNISTOCK_HOME/spark`) where a local Spark session keeps its
tables and metastore. dbt's `profiles.yml` derives the same defaults from `OMNISTOCK_HOME`.

Run `python -m omnistock.lake` to publish the lake of the configured warehouse by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from omnistock.config import Settings, get_settings
from omnistock.ingest.schema import RAW_SCHEMA, TABLE_DDL

ENGINES = ("duckdb", "spark")

LAYOUT_VERSION = 1
MANIFEST_NAME = "_omnistock_lake.json"
EVENTS_TABLE = "inventory_events"
PARTITION_COLUMNS = ("occurred_date", "source_system")
REFERENCE_TABLES = ("locations", "skus")
LAKE_TABLES = (EVENTS_TABLE, *REFERENCE_TABLES)


def get_engine() -> str:
    """The engine dbt builds on (`OMNISTOCK_ENGINE`); anything else is a clear ValueError."""
    engine = os.environ.get("OMNISTOCK_ENGINE") or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"OMNISTOCK_ENGINE must be one of {', '.join(ENGINES)}, got {engine!r}")
    return engine


def lake_dir(settings: Settings) -> Path:
    return Path(os.environ.get("OMNISTOCK_LAKE_DIR") or settings.home / "lake").resolve()


def lake_url() -> str | None:
    """Where the lake is mirrored for a Spark cluster (e.g. s3a://bucket/omnistock/lake)."""
    return os.environ.get("OMNISTOCK_LAKE_URL") or None


def spark_dir(settings: Settings) -> Path:
    return Path(os.environ.get("OMNISTOCK_SPARK_DIR") or settings.home / "spark").resolve()


@dataclass(frozen=True)
class LakeReport:
    lake_dir: Path
    rewritten: bool
    """False when the lake already held exactly the raw tables (nothing was written)."""
    rows: dict[str, int]
    partitions: int
    """Folders of inventory_events (one per occurred_date and source_system)."""
    seconds: float


def _sql_string(value: str | Path) -> str:
    """A SQL string literal (COPY takes no bind parameter for its target path)."""
    return "'" + str(value).replace("'", "''") + "'"


def raw_fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Per raw table: [row count, sum of row hashes as text]; equal fingerprints mean equal
    contents, whatever the row order."""
    fingerprint = {}
    for table in LAKE_TABLES:
        count, hashes = con.execute(
            f"select count(*), cast(coalesce(sum(hash(t)), 0) as varchar) "
            f"from {RAW_SCHEMA}.{table} as t"
        ).fetchall()[0]
        fingerprint[table] = [count, hashes]
    return fingerprint


def read_manifest(lake_dir: Path) -> dict | None:
    try:
        return json.loads((lake_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _is_current(lake_dir: Path, fingerprint: dict) -> bool:
    manifest = read_manifest(lake_dir)
    return (
        manifest is not None
        and manifest.get("layout_version") == LAYOUT_VERSION
        and manifest.get("fingerprint") == fingerprint
        and all((lake_dir / table).is_dir() for table in LAKE_TABLES)
    )


def _write_tables(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    columns = [
        line.split()[0] for line in TABLE_DDL[EVENTS_TABLE].strip().splitlines() if line.strip()
    ]
    events = target / EVENTS_TABLE
    events.mkdir(parents=True)
    con.execute(
        f"""
        copy (
            select {", ".join(columns)}, cast(occurred_at as date) as occurred_date
            from {RAW_SCHEMA}.{EVENTS_TABLE}
        ) to {_sql_string(events)}
        (format parquet, partition_by ({", ".join(PARTITION_COLUMNS)}), overwrite_or_ignore)
        """
    )
    for table in REFERENCE_TABLES:
        folder = target / table
        folder.mkdir()
        con.execute(
            f"copy (select * from {RAW_SCHEMA}.{table} order by all) "
            f"to {_sql_string(folder / f'{table}.parquet')} (format parquet)"
        )


def publish_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> LakeReport:
    """Publish the raw tables of the warehouse behind `con` as the Parquet lake at `lake_dir`
    (see the module docstring: skipped when unchanged, else rewritten whole and swapped in)."""
    started = time.perf_counter()
    lake_dir = Path(lake_dir)
    fingerprint = raw_fingerprint(con)
    rows = {table: count for table, (count, _) in fingerprint.items()}
    if _is_current(lake_dir, fingerprint):
        return LakeReport(
            lake_dir, False, rows, _count_partitions(lake_dir), time.perf_counter() - started
        )

    staging = lake_dir.with_name(f".{lake_dir.name}.staging")
    previous = lake_dir.with_name(f".{lake_dir.name}.previous")
    for leftover in (staging, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    lake_dir.parent.mkdir(parents=True, exist_ok=True)
    _write_tables(con, staging)
    manifest = {
        "layout_version": LAYOUT_VERSION,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "partitioned_by": {EVENTS_TABLE: list(PARTITION_COLUMNS)},
        "rows": rows,
        "fingerprint": fingerprint,
    }
    (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    if lake_dir.exists():
        lake_dir.rename(previous)
    staging.rename(lake_dir)
    shutil.rmtree(previous, ignore_errors=True)
    return LakeReport(
        lake_dir, True, rows, _count_partitions(lake_dir), time.perf_counter() - started
    )


def mirror_lake(lake_dir: Path, url: str) -> int:
    """Copy the published lake to object storage (or any URL pyarrow opens: s3://, gs://,
    file://; Hadoop's s3a:// is read as s3://) and delete what the lake no longer holds there.
    Credentials come from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
    AWS_REGION, or the machine's role), never from the repository. Skipped when the copy's
    manifest already equals the lake's; the manifest is written last, so an interrupted
    mirror is redone by the next one. Not atomic for readers: nothing may read the copy while
    it runs (the pipeline runs it before dbt). Returns the number of files copied."""
    from pyarrow import fs

    uri = "s3://" + url.removeprefix("s3a://") if url.startswith("s3a://") else url
    target, root = fs.FileSystem.from_uri(uri)
    root = root.rstrip("/")
    manifest = (lake_dir / MANIFEST_NAME).read_bytes()
    try:
        with target.open_input_stream(f"{root}/{MANIFEST_NAME}") as stream:
            if stream.read() == manifest:
                return 0
    except (FileNotFoundError, OSError):
        pass  # no copy yet
    files = sorted(
        path.relative_to(lake_dir).as_posix()
        for path in lake_dir.rglob("*")
        if path.is_file() and path.name != MANIFEST_NAME
    )
    target.create_dir(root, recursive=True)
    if target.type_name == "local":  # object stores have no folders to make
        for folder in sorted({name.rpartition("/")[0] for name in files} - {""}):
            target.create_dir(f"{root}/{folder}", recursive=True)
    for name in files:
        fs.copy_files(str(lake_dir / name), f"{root}/{name}", fs.LocalFileSystem(), target)
    wanted = {f"{root}/{name}" for name in files} | {f"{root}/{MANIFEST_NAME}"}
    listed = target.get_file_info(fs.FileSelector(root, recursive=True, allow_not_found=True))
    for info in listed:
        if info.type == fs.FileType.File and info.path not in wanted:
            target.delete_file(info.path)
    # partitions that are gone leave empty folders behind on file systems that have folders
    folders = [info.path for info in listed if info.type == fs.FileType.Directory]
    for folder in sorted(folders, key=lambda path: path.count("/"), reverse=True):
        if not target.get_file_info(fs.FileSelector(folder)):
            target.delete_dir(folder)
    with target.open_output_stream(f"{root}/{MANIFEST_NAME}") as stream:
        stream.write(manifest)
    return len(files)


def _count_partitions(lake_dir: Path) -> int:
    return sum(1 for _ in (lake_dir / EVENTS_TABLE).glob("*=*/*=*"))


def main() -> int:
    settings = get_settings()
    if not settings.warehouse.exists():
        print(f"No warehouse at {settings.warehouse}: run `omnistock run` first.", file=sys.stderr)
        return 2
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        report = publish_lake(con, lake_dir(settings))
    state = "published" if report.rewritten else "already up to date"
    print(
        f"Lake {state} at {report.lake_dir}: {report.rows[EVENTS_TABLE]:,} events in "
        f"{report.partitions} partitions ({report.seconds:.1f} s)."
    )
    if lake_url():
        print(f"Mirrored {mirror_lake(report.lake_dir, lake_url())} files to {lake_url()}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
