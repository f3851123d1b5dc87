"""The manifest `raw.ingested_files`: one row per entry of the landing folder.

Statuses (`MANIFEST_STATUSES`):

- `loaded`: an event file whose records were all judged and placed; the record counts are
  filled. Its key is (path, sha256): the same content under the same path is never loaded
  twice, a copy under another name is loaded (its records become duplicates).
- `refused`: an event file that could not be read, parsed or judged as a whole. `status_reason`
  is its quarantine reason `unreadable_file:<kind>` (`REFUSAL_KINDS`), `error_message` the
  error, and a row in `raw.quarantined_events` names the file (source_line 0, raw_record a
  short description). It is retried when its content changes (or with `retry_refused`).
- `ignored`: skipped by a rule (`status_reason`: the rule, `landing.IGNORED_RULES`).
- `unknown`: an entry the contract does not describe (`status_reason`: why,
  `landing.UNKNOWN_REASONS`).

A path keeps its `loaded` rows and at most one other row, its latest outcome: a new outcome
replaces it, and marks the file's unresolved quarantine row (if it was refused) with
`replayed_at`. Recording the same outcome again writes nothing, so a rerun changes nothing.
Record counts are NULL for every status but `loaded`; format, size and hash are NULL where the
entry has none (a folder, a FIFO, a file that could not be hashed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from omnistock.ingest.db import scalar, transaction
from omnistock.ingest.landing import LandingEntry
from omnistock.ingest.readers import UnreadableFile

LOADED, REFUSED, IGNORED, UNKNOWN = "loaded", "refused", "ignored", "unknown"
MANIFEST_STATUSES = (LOADED, REFUSED, IGNORED, UNKNOWN)

REFUSAL_PREFIX = "unreadable_file:"
REFUSAL_KINDS = {
    "csv_header": "the CSV header is unusable (a repeated column, no canonical field, unreadable)",
    "parquet": "not a readable Parquet file (bad magic bytes, corrupt footer or pages…)",
    "csv": "the CSV parser gave up on the file",
    "jsonl": "the JSON Lines reader gave up on the file",
    "io_error": "the operating system refused to read it (permissions, not a regular file…)",
    "encoding": "a text encoding error outside any single record",
    "judging": "the validation statement failed on this file's records (a DuckDB error)",
    "changed_after_load": "a loaded file whose content changed (landed files are immutable)",
    "symlink_outside_landing": "a symlink leaving the landing folder (never followed)",
    "broken_symlink": "a symlink whose target does not exist",
    "memory": "the file does not fit in memory",
    "error": "any other error while reading it (the error text says which)",
}
FILE_QUARANTINE_REASONS = tuple(REFUSAL_PREFIX + kind for kind in REFUSAL_KINDS)
FILE_LEVEL_LINE = 0  # source_line of a quarantine row that stands for a whole file


def refusal_reason(error: BaseException, file_format: str) -> str:
    """The quarantine reason `unreadable_file:<kind>` for an error met reading or judging a
    file of `file_format`."""
    if isinstance(error, UnreadableFile):
        kind = error.kind if error.kind in REFUSAL_KINDS else file_format
    elif isinstance(error, duckdb.Error):
        kind = "judging"
    elif isinstance(error, UnicodeError):
        kind = "encoding"
    elif isinstance(error, OSError):
        kind = "io_error"
    elif isinstance(error, pa.ArrowException):
        kind = file_format
    elif isinstance(error, MemoryError):
        kind = "memory"
    else:
        kind = "error"
    return REFUSAL_PREFIX + kind


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class Refusal:
    """A refused event file: its manifest row and quarantine row."""

    relative_path: str
    source_system: str
    file_format: str
    entry_type: str
    reason: str  # unreadable_file:<kind>
    error: str
    size: int | None = None
    sha256: str | None = None

    def description(self) -> str:
        """The quarantine row's raw_record: what the file was and why it was refused."""
        size = "unknown size" if self.size is None else f"{self.size} bytes"
        sha = self.sha256 or "not hashed"
        return f"whole file refused ({self.file_format}, {size}, sha256 {sha}): {self.error[:500]}"


@dataclass
class ManifestState:
    """What the manifest says of the event files, to decide which to read."""

    loaded: set[tuple[str, str]] = field(default_factory=set)  # (path, sha256)
    loaded_hashes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    refused: set[tuple[str, str]] = field(default_factory=set)  # (path, sha256), hashed only
    other_outcomes: set[str] = field(default_factory=set)  # paths with a row not 'loaded'


def manifest_state(con: duckdb.DuckDBPyConnection) -> ManifestState:
    state = ManifestState()
    for path, sha256, status in con.execute(
        "SELECT path, sha256, status FROM raw.ingested_files WHERE status IN (?, ?)",
        [LOADED, REFUSED],
    ).fetchall():
        if status == LOADED:
            state.loaded.add((path, sha256))
            state.loaded_hashes[path].add(sha256)
        else:
            state.other_outcomes.add(path)
            if sha256 is not None:
                state.refused.add((path, sha256))
    return state


def clear_outcomes(con: duckdb.DuckDBPyConnection, paths: list[str], now: datetime) -> None:
    """Remove the non-loaded rows of `paths`, whose current content is loaded (e.g. a file
    refused as changed after load, then put back as it was)."""
    if not paths:
        return
    con.register("ingest_cleared_paths", pa.table({"path": pa.array(paths, pa.string())}))
    try:
        with transaction(con):
            replace_outcomes(con, "SELECT path FROM ingest_cleared_paths", now)
    finally:
        con.unregister("ingest_cleared_paths")


ENTRY_COLUMNS = (
    "path",
    "source_system",
    "file_format",
    "size_bytes",
    "sha256",
    "status",
    "error_message",
    "status_reason",
    "entry_type",
)
_ENTRIES_VIEW = "ingest_manifest_entries"
_CHANGED_TABLE = "ingest_manifest_changed"


def _entries_table(rows: list[dict]) -> pa.Table:
    types = {"size_bytes": pa.int64()}
    return pa.table(
        {
            name: pa.array([row[name] for row in rows], types.get(name, pa.string()))
            for name in ENTRY_COLUMNS
        }
    )


def _entry_row(entry: LandingEntry) -> dict:
    return {
        "path": entry.relative_path,
        "source_system": entry.source_system,
        "file_format": entry.file_format,
        "size_bytes": entry.size,
        "sha256": None,
        "status": entry.status,
        "error_message": entry.detail,
        "status_reason": entry.reason,
        "entry_type": entry.entry_type,
    }


def _refusal_row(refusal: Refusal) -> dict:
    return {
        "path": refusal.relative_path,
        "source_system": refusal.source_system,
        "file_format": refusal.file_format,
        "size_bytes": refusal.size,
        "sha256": refusal.sha256,
        "status": REFUSED,
        "error_message": refusal.error,
        "status_reason": refusal.reason,
        "entry_type": refusal.entry_type,
    }


def resolve_file_quarantine(con: duckdb.DuckDBPyConnection, paths_sql: str, now: datetime) -> None:
    """Mark the unresolved whole-file quarantine rows of the paths `paths_sql` selects as
    superseded (`replayed_at`): the file was retried and has a new outcome."""
    con.execute(
        f"""
UPDATE raw.quarantined_events SET replayed_at = ?::TIMESTAMP
WHERE source_line = {FILE_LEVEL_LINE} AND replayed_at IS NULL AND source_file IN ({paths_sql})""",
        [now],
    )


def replace_outcomes(con: duckdb.DuckDBPyConnection, paths_sql: str, now: datetime) -> None:
    """Clear the earlier non-loaded outcome of the paths `paths_sql` selects, before a new one
    is written (in the caller's transaction)."""
    con.execute(
        f"DELETE FROM raw.ingested_files WHERE status <> '{LOADED}' AND path IN ({paths_sql})"
    )
    resolve_file_quarantine(con, paths_sql, now)


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    entries: list[LandingEntry],
    refusals: list[Refusal],
    now: datetime,
) -> int:
    """Write the manifest rows of entries that are not loaded (ignored, unknown, refused) in one
    transaction, each only if it differs from the path's current outcome; refused files also
    get their quarantine row. Returns how many rows were written."""
    rows = [_entry_row(entry) for entry in entries if entry.status != REFUSED]
    rows += [_refusal_row(refusal) for refusal in refusals]
    if not rows:
        return 0
    con.register(_ENTRIES_VIEW, _entries_table(rows))
    try:
        with transaction(con):
            same = " AND ".join(
                f"f.{name} IS NOT DISTINCT FROM e.{name}" for name in ENTRY_COLUMNS[1:]
            )
            changed = scalar(
                con,
                f"""
CREATE OR REPLACE TEMP TABLE {_CHANGED_TABLE} AS
SELECT * FROM {_ENTRIES_VIEW} e
WHERE NOT EXISTS (
    SELECT 1 FROM raw.ingested_files f WHERE f.path = e.path AND {same}
)""",
            )
            if changed:
                replace_outcomes(con, f"SELECT path FROM {_CHANGED_TABLE}", now)
                con.execute(
                    f"""
INSERT INTO raw.ingested_files BY NAME
SELECT *, ?::TIMESTAMP AS loaded_at FROM {_CHANGED_TABLE}""",
                    [now],
                )
                _quarantine_refusals(con, refusals, now)
            con.execute(f"DROP TABLE {_CHANGED_TABLE}")
    finally:
        con.unregister(_ENTRIES_VIEW)
    return changed


def _quarantine_refusals(
    con: duckdb.DuckDBPyConnection, refusals: list[Refusal], now: datetime
) -> None:
    """One quarantine row per refused file written now (those in the changed-rows table)."""
    if not refusals:
        return
    descriptions = pa.table(
        {
            "path": pa.array([r.relative_path for r in refusals], pa.string()),
            "raw_record": pa.array([r.description() for r in refusals], pa.string()),
        }
    )
    con.register("ingest_refusal_texts", descriptions)
    try:
        con.execute(
            f"""
INSERT INTO raw.quarantined_events
SELECT (SELECT coalesce(max(quarantine_id), 0) FROM raw.quarantined_events)
        + row_number() OVER (ORDER BY c.path),
    c.path, {FILE_LEVEL_LINE}, c.source_system, NULL, t.raw_record, c.status_reason,
    ?::TIMESTAMP, NULL
FROM {_CHANGED_TABLE} c JOIN ingest_refusal_texts t USING (path)
WHERE c.status = '{REFUSED}'""",
            [now],
        )
    finally:
        con.unregister("ingest_refusal_texts")
