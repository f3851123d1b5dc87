"""Read-only helpers for the Dagster asset checks and metadata (SPEC 4.2 guarantees)."""

from __future__ import annotations

import duckdb

from omnistock.ingest.db import row, scalar


def accounting_violations(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Loaded files where records_read ≠ stored + duplicates + quarantined, either in the
    manifest's own counts or in the rows actually found in the raw tables."""
    rows = con.execute("""
WITH stored AS (
    SELECT source_file AS path, count(*) AS n FROM raw.inventory_events GROUP BY ALL
), duplicates AS (
    SELECT source_file AS path, count(*) AS n FROM raw.duplicate_events GROUP BY ALL
), quarantined AS (
    -- records only: a whole-file row (source_line 0) stands for a refused file
    SELECT source_file AS path, count(*) AS n FROM raw.quarantined_events
    WHERE replayed_at IS NULL AND source_line > 0 GROUP BY ALL
)
SELECT f.path, f.records_read, f.records_stored, f.records_duplicate, f.records_quarantined,
    coalesce(s.n, 0) AS rows_stored, coalesce(d.n, 0) AS rows_duplicate,
    coalesce(q.n, 0) AS rows_quarantined
FROM raw.ingested_files f
LEFT JOIN stored s USING (path)
LEFT JOIN duplicates d USING (path)
LEFT JOIN quarantined q USING (path)
WHERE f.status = 'loaded' AND (
    f.records_read <> f.records_stored + f.records_duplicate + f.records_quarantined
    OR f.records_read <> coalesce(s.n, 0) + coalesce(d.n, 0) + coalesce(q.n, 0)
)
ORDER BY f.path""")
    names = [column[0] for column in rows.description]
    return [dict(zip(names, row, strict=True)) for row in rows.fetchall()]


def duplicate_event_ids(con: duckdb.DuckDBPyConnection) -> int:
    """How many event_ids are stored more than once (0 when the store is sound)."""
    return scalar(
        con,
        """
SELECT count(*) FROM (
    SELECT event_id FROM raw.inventory_events GROUP BY event_id HAVING count(*) > 1
)""",
    )


def quarantine_rate_by_source(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Share of the records read per source folder that sit in quarantine now."""
    rows = con.execute("""
SELECT source_system, sum(records_quarantined) / sum(records_read)
FROM raw.ingested_files
WHERE status = 'loaded'
GROUP BY source_system HAVING sum(records_read) > 0
ORDER BY source_system""").fetchall()
    return {source: float(rate) for source, rate in rows}


def store_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts for asset metadata: events, quarantined (not replayed), duplicates, loaded
    files, refused files, and the entries of the landing folder ignored by rule or unknown."""
    events, quarantined, duplicates, files, refused, ignored, unknown = row(
        con,
        """
SELECT
    (SELECT count(*) FROM raw.inventory_events),
    (SELECT count(*) FROM raw.quarantined_events WHERE replayed_at IS NULL),
    (SELECT count(*) FROM raw.duplicate_events),
    (SELECT count(*) FROM raw.ingested_files WHERE status = 'loaded'),
    (SELECT count(*) FROM raw.ingested_files WHERE status = 'refused'),
    (SELECT count(*) FROM raw.ingested_files WHERE status = 'ignored'),
    (SELECT count(*) FROM raw.ingested_files WHERE status = 'unknown')""",
    )
    return {
        "events": events,
        "quarantined": quarantined,
        "duplicates": duplicates,
        "files": files,
        "refused_files": refused,
        "ignored_entries": ignored,
        "unknown_entries": unknown,
    }


def manifest_entries(con: duckdb.DuckDBPyConnection, status: str) -> list[dict]:
    """The manifest rows with `status` (e.g. 'refused', 'unknown'): path, reason, error."""
    rows = con.execute(
        """
SELECT path, status_reason AS reason, error_message AS error, entry_type, loaded_at
FROM raw.ingested_files WHERE status = ? ORDER BY path""",
        [status],
    )
    names = [column[0] for column in rows.description]
    return [dict(zip(names, found, strict=True)) for found in rows.fetchall()]
