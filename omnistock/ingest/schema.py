"""The `raw` schema: reference data, the event store, its quarantine, duplicate log and manifest.

Columns follow docs/architecture.md ("Raw tables"). `raw.ingested_files` is the manifest of
the landing folder: one row per entry, with status `loaded`, `refused`, `ignored` or `unknown`
(`omnistock.ingest.manifest`); only loaded files have record counts, and entries that are not
event files have no format, size or hash. `raw.csv_file_headers` keeps the header of each loaded
CSV file, so a quarantined CSV line, whose raw text is the line alone, can be re-parsed by
`replay_quarantine`.

There is deliberately no PRIMARY KEY/UNIQUE index on `event_id`: an ART index over ~10M keys
costs memory and insert speed; uniqueness is enforced by anti-joins during ingestion and
verified by the `duplicate_event_ids` check.
"""

from __future__ import annotations

import duckdb

from omnistock.ingest.db import scalar, transaction
from omnistock.ingest.rules import ENVELOPE_FIELDS, STORED_TYPES
from omnistock.ingest.validation import content_hash_sql

RAW_SCHEMA = "raw"

# A stored event has its envelope and its attributes object ('{}' when none was sent).
_STORED_EVENT = ",\n        ".join(
    f"{name} {column_type}" + (" NOT NULL" if name in (*ENVELOPE_FIELDS, "attributes") else "")
    for name, column_type in STORED_TYPES.items()
)

TABLE_DDL: dict[str, str] = {
    "locations": """
        location_id VARCHAR NOT NULL,
        location_type VARCHAR,
        region VARCHAR,
        name VARCHAR
    """,
    "skus": """
        sku VARCHAR NOT NULL,
        category VARCHAR,
        unit_cost DOUBLE,
        unit_price DOUBLE,
        abc_class VARCHAR
    """,
    "inventory_events": f"""
        {_STORED_EVENT},
        source_file VARCHAR NOT NULL,
        source_line BIGINT NOT NULL,
        ingested_at TIMESTAMP NOT NULL
    """,
    "quarantined_events": """
        quarantine_id BIGINT NOT NULL,
        source_file VARCHAR NOT NULL,
        source_line BIGINT NOT NULL,
        source_system VARCHAR NOT NULL,
        event_id VARCHAR,
        raw_record VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        quarantined_at TIMESTAMP NOT NULL,
        replayed_at TIMESTAMP
    """,
    "duplicate_events": """
        event_id VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        source_line BIGINT NOT NULL,
        content_hash BIGINT NOT NULL,
        detected_at TIMESTAMP NOT NULL
    """,
    "ingested_files": """
        path VARCHAR NOT NULL,
        source_system VARCHAR,
        file_format VARCHAR,
        size_bytes BIGINT,
        sha256 VARCHAR,
        records_read BIGINT,
        records_stored BIGINT,
        records_duplicate BIGINT,
        records_quarantined BIGINT,
        status VARCHAR NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        error_message VARCHAR,
        status_reason VARCHAR,
        entry_type VARCHAR
    """,
    "csv_file_headers": """
        path VARCHAR NOT NULL,
        header VARCHAR NOT NULL
    """,
}

# Columns added after the first release; ensure_schema adds them to older warehouses.
_ADDED_COLUMNS = (
    ("ingested_files", "error_message", "VARCHAR"),
    ("ingested_files", "status_reason", "VARCHAR"),
    ("ingested_files", "entry_type", "VARCHAR"),
)
# Columns that were NOT NULL when the manifest only listed event files.
_NOW_NULLABLE = (
    ("ingested_files", "source_system"),
    ("ingested_files", "file_format"),
    ("ingested_files", "size_bytes"),
    ("ingested_files", "sha256"),
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `raw` and its tables if they are missing, and bring an older warehouse's
    tables up to date (idempotent)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table, columns in TABLE_DDL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table} ({columns})")
    for table, column, column_type in _ADDED_COLUMNS:
        con.execute(
            f"ALTER TABLE {RAW_SCHEMA}.{table} ADD COLUMN IF NOT EXISTS {column} {column_type}"
        )
    for table, column in _NOW_NULLABLE:
        if _is_not_null(con, table, column):
            con.execute(f"ALTER TABLE {RAW_SCHEMA}.{table} ALTER COLUMN {column} DROP NOT NULL")
    # Files once marked 'failed' were retried by every run: drop those rows so the next run
    # loads them with today's readers, or refuses them with a quarantine row.
    con.execute(f"DELETE FROM {RAW_SCHEMA}.ingested_files WHERE status = 'failed'")
    if _column_type(con, "inventory_events", "content_hash") is not None:
        _drop_stored_hashes(con)


def _is_not_null(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return (
        scalar(
            con,
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ? AND column_name = ? AND is_nullable = 'NO'",
            [RAW_SCHEMA, table, column],
        )
        > 0
    )


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    rows = con.execute(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? AND column_name = ?",
        [RAW_SCHEMA, table, column],
    ).fetchall()
    return rows[0][0] if rows else None


def _drop_stored_hashes(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses from before kept an md5 hex `content_hash` on every stored event and logged
    duplicate. Stored events now keep none (it is computed from their content when needed) and
    the duplicate log keeps a BIGINT: each logged duplicate gets the hash of its event's stored
    content (a duplicate has that content by definition)."""
    with transaction(con):
        con.execute(
            f"CREATE TEMP TABLE rehashed_duplicates AS SELECT * FROM {RAW_SCHEMA}.duplicate_events"
        )
        con.execute(f"DROP TABLE {RAW_SCHEMA}.duplicate_events")
        con.execute(f"CREATE TABLE {RAW_SCHEMA}.duplicate_events ({TABLE_DDL['duplicate_events']})")
        moved = scalar(
            con,
            f"""
INSERT INTO {RAW_SCHEMA}.duplicate_events
SELECT d.event_id, d.source_file, d.source_line, e.content_hash, d.detected_at
FROM rehashed_duplicates d
JOIN (SELECT event_id, any_value({content_hash_sql()}) AS content_hash
      FROM {RAW_SCHEMA}.inventory_events
      WHERE event_id IN (SELECT event_id FROM rehashed_duplicates)
      GROUP BY event_id) e USING (event_id)""",
        )
        if moved != scalar(con, "SELECT count(*) FROM rehashed_duplicates"):
            raise RuntimeError("a logged duplicate has no stored event; warehouse left as it was")
        con.execute("DROP TABLE rehashed_duplicates")
        con.execute(f"ALTER TABLE {RAW_SCHEMA}.inventory_events DROP COLUMN content_hash")
