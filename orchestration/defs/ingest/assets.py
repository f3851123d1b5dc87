"""Ingestion assets: reference data and inventory events from the landing folder into DuckDB.

The work is done by the plain-Python engine in `omnistock.ingest`; these assets only wire it
to Dagster and turn its report into metadata an operations leader can read.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock import ingest
from omnistock.config import ingest_batch_records
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

GROUP = "ingest"
OWNERS = ["team:data-platform"]
KINDS = {"duckdb", "python"}

LOCATIONS = dg.AssetKey(["raw", "locations"])
SKUS = dg.AssetKey(["raw", "skus"])
EVENTS = dg.AssetKey(["raw", "inventory_events"])
QUARANTINE = dg.AssetKey(["raw", "quarantined_events"])
DUPLICATES = dg.AssetKey(["raw", "duplicate_events"])
MANIFEST = dg.AssetKey(["raw", "ingested_files"])


def _spec(key: dg.AssetKey, description: str, deps=()) -> dg.AssetSpec:
    return dg.AssetSpec(
        key, description=description, group_name=GROUP, owners=OWNERS, kinds=KINDS, deps=deps
    )


def counts_table(rows: list[dict], key_column: str) -> dg.MetadataValue:
    """A small metadata table (e.g. quarantine by reason) with a count column."""
    return dg.MetadataValue.table(
        records=[dg.TableRecord(row) for row in rows],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn(key_column, "string"),
                dg.TableColumn("records", "int"),
            ]
        ),
    )


@dg.multi_asset(
    name="reference_data",
    specs=[
        _spec(LOCATIONS, "Stores and DCs (location_id, type, region): the places stock lives."),
        _spec(SKUS, "The assortment with category, unit cost/price and ABC class."),
    ],
    pool=WAREHOUSE_POOL,
)
def reference_data(duckdb: DuckDBResource, paths: OmnistockPaths):
    """Load `reference/locations.csv` and `reference/skus.csv` from the landing folder."""
    with duckdb.get_connection() as con:
        ingest.ensure_schema(con)
        counts = ingest.load_reference(con, paths.settings.landing_dir)
    yield dg.MaterializeResult(
        asset_key=LOCATIONS, metadata={"dagster/row_count": counts["locations"]}
    )
    yield dg.MaterializeResult(asset_key=SKUS, metadata={"dagster/row_count": counts["skus"]})


class IngestConfig(dg.Config):
    files: list[str] = []
    """Landing-relative paths to load; empty means every file not loaded yet."""
    replay_quarantine: bool = False
    """Re-validate quarantined records first (after fixing reference data or a source)."""


@dg.multi_asset(
    name="inventory_events",
    specs=[
        _spec(
            EVENTS,
            "The governed event store: every valid inventory event from every source system, "
            "typed, in UTC, schema version 2 upcast, each event_id once.",
            deps=[LOCATIONS, SKUS],
        ),
        _spec(
            QUARANTINE,
            "Records that failed validation, with their raw text, file, line and reason. "
            "Nothing is dropped: fix the cause and replay.",
            deps=[LOCATIONS, SKUS],
        ),
        _spec(DUPLICATES, "Re-delivered records (same event_id, identical content)."),
        _spec(
            MANIFEST,
            "One row per entry of the landing folder: each event file loaded (hash, records "
            "read/stored/duplicate/quarantined) or refused (with the error), and every other "
            "entry ignored by a rule or unknown (with why).",
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def inventory_events(config: IngestConfig, duckdb: DuckDBResource, paths: OmnistockPaths):
    """Load new landing files, each in one transaction; files already loaded are skipped.

    A file that cannot be read is refused (manifest and quarantine say why) and the run goes
    on: the `refused_files` check warns about it. Replaying the quarantine also retries the
    refused files."""
    landing = paths.settings.landing_dir
    files = [landing / name for name in config.files] or None
    with duckdb.get_connection() as con:
        ingest.ensure_schema(con)
        replayed = ingest.replay_quarantine(con) if config.replay_quarantine else None
        report = ingest.ingest_files(
            con,
            landing,
            files=files,
            retry_refused=config.replay_quarantine,
            batch_records=ingest_batch_records(),
        )
        totals = ingest.store_totals(con)
    by_reason = [{"reason": r, "records": n} for r, n in report.quarantined_by_reason.items()]
    by_source = [{"source": s, "records": n} for s, n in report.quarantined_by_source.items()]
    yield dg.MaterializeResult(
        asset_key=EVENTS,
        metadata={
            "files_loaded": report.files_loaded,
            "files_skipped": report.files_skipped,
            "records_read": report.records_read,
            "events_stored": report.records_stored,
            "dagster/row_count": totals["events"],
            "replayed_from_quarantine": replayed.stored if replayed else 0,
        },
    )
    yield dg.MaterializeResult(
        asset_key=QUARANTINE,
        metadata={
            "quarantined_this_run": report.records_quarantined,
            "dagster/row_count": totals["quarantined"],
            "by_reason": counts_table(by_reason, "reason"),
            "by_source": counts_table(by_source, "source"),
        },
    )
    yield dg.MaterializeResult(
        asset_key=DUPLICATES,
        metadata={
            "duplicates_this_run": report.records_duplicate,
            "dagster/row_count": totals["duplicates"],
        },
    )
    yield dg.MaterializeResult(
        asset_key=MANIFEST,
        metadata={
            "dagster/row_count": totals["files"],
            "files_loaded": report.files_loaded,
            "files_refused_this_run": report.files_refused,
            "files_refused": totals["refused_files"],
            "entries_ignored": totals["ignored_entries"],
            "entries_unknown": totals["unknown_entries"],
        },
    )
