"""`ingest_files`: landed files into the event store, whole files at a time.

Files are read one by one, in name order, into a batch (up to `batch_records` records; the
first batch is a quarter of that) by a reading thread that hashes and parses ahead while the
current batch is written; it never touches the database. Per batch: one SQL statement judges
every record (session table `ingest_checked`), then ONE transaction decides duplicates against
the store, writes events, duplicates, quarantine, manifest rows and CSV headers, verifies the
accounting identity per file and commits. A file is therefore never partly loaded: its rows and
its manifest row commit together or not at all. Batching small files keeps the per-statement
costs (planning, the probe of the stored event_ids for duplicates) from being paid once per
file; `batch_records=1` gives one transaction per file.

Every entry of the landing folder ends in the manifest (`manifest.py`): loaded, refused,
ignored by a rule or unknown (`landing.scan_landing`). A file is loaded once per (path, sha256):
a byte-identical copy under another name is loaded too, its records becoming duplicates.

One file never stops the others:
- any error reading or parsing a file (in the reading thread) refuses that file alone;
- if judging or writing a batch fails with a DuckDB error, its files are judged and written one
  by one, and a file that still fails on its own data is refused;
- a refused file gets a manifest row (status 'refused', the error) and a quarantine row naming
  it; the run goes on and returns normally (`IngestFailed` only with `raise_on_failure`). It is
  retried when its content changes, or with `retry_refused`.
Errors of the database or the machine (I/O, memory, interruption) and bugs propagate: the
batch's transaction rolls back, nothing of its files is recorded, and the next run loads them
whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from omnistock.config import DEFAULT_INGEST_BATCH_RECORDS
from omnistock.ingest.db import transaction
from omnistock.ingest.landing import (
    EventFile,
    LandingEntry,
    LandingFile,
    classify,
    describe,
    scan_landing,
)
from omnistock.ingest.manifest import (
    LOADED,
    REFUSAL_PREFIX,
    REFUSED,
    ManifestState,
    Refusal,
    clear_outcomes,
    error_text,
    manifest_state,
    record_outcomes,
    refusal_reason,
    replace_outcomes,
)
from omnistock.ingest.prefetch import prefetched
from omnistock.ingest.report import AccountingError, FileReport, IngestFailed, IngestReport
from omnistock.ingest.schema import ensure_schema
from omnistock.ingest.staging import Batch, StagedFile
from omnistock.ingest.store import (
    insert_duplicates,
    insert_events,
    insert_quarantine,
    outcome_counts,
    resolve_duplicates,
    utc_now,
)
from omnistock.ingest.validation import check_records, clear_checked, prepare_session

DEFAULT_BATCH_RECORDS = DEFAULT_INGEST_BATCH_RECORDS
FIRST_BATCH_DIVISOR = 4
COUNT_NAMES = ("records_read", "records_stored", "records_duplicate", "records_quarantined")
SKIPPED, MISSING = "skipped", "missing"

# DuckDB errors after which nothing more can be tried on this connection.
_FATAL = (duckdb.InterruptException, duckdb.FatalException, duckdb.ConnectionException)
# DuckDB errors of the database or the machine rather than of a file's content.
_ENVIRONMENT = (duckdb.OperationalError, *_FATAL)  # I/O, memory, transactions, …

Pending = EventFile | LandingFile


def _given_event_files(landing_dir: Path, files: Iterable[Pending | Path | str]) -> list[Pending]:
    """The given files that are event files, sorted by their path in the landing folder (other
    entries are recorded by the landing scan). ValueError, before anything is loaded, for a
    path outside the landing folder."""
    found: list[Pending] = []
    for item in files:
        described = (
            item if isinstance(item, EventFile | LandingFile) else classify(landing_dir, item)
        )
        if isinstance(described, EventFile | LandingFile):
            found.append(described)
    return sorted(found, key=lambda event_file: event_file.relative_path)


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path | str,
    files: Iterable[Pending | Path | str] | None = None,
    *,
    batch_records: int = DEFAULT_BATCH_RECORDS,
    retry_refused: bool = False,
    raise_on_failure: bool = False,
    ingested_at: datetime | None = None,
) -> IngestReport:
    """Load every event file not loaded yet (or only `files`: paths, absolute or relative to
    the landing folder), and record every other entry of the landing folder in the manifest.

    A file whose (path, sha256) was loaded before is skipped, and so is one refused before
    unless `retry_refused`. With `raise_on_failure`, `IngestFailed` is raised at the end if a
    file was refused (everything else is loaded and recorded by then). `ingested_at` (default:
    now) is the time the accepted event-time window is measured from."""
    landing_dir = Path(landing_dir)
    ensure_schema(con)
    prepare_session(con, ingested_at)
    scan = scan_landing(landing_dir)
    pending = scan.event_files if files is None else _given_event_files(landing_dir, files)
    report, state = IngestReport(), manifest_state(con)
    restored: list[str] = []  # loaded content back at a path with another outcome since
    for landed, outcome in prefetched(
        _staged_batches(pending, state, batch_records, retry_refused)
    ):
        if isinstance(outcome, Batch):
            report.files.extend(_load_batch(con, outcome))
        elif isinstance(outcome, Refusal):
            report.files.append(_refuse(con, outcome))
        else:
            report.files.append(_file_report(landed, outcome))
            if outcome == SKIPPED and _restored(landed, state):
                restored.append(landed.relative_path)
    clear_outcomes(con, restored, utc_now())
    refused_by_scan = [_scan_refusal(entry) for entry in scan.entries if entry.status == REFUSED]
    record_outcomes(con, scan.entries, refused_by_scan, utc_now())
    report.files.extend(_refusal_report(refusal) for refusal in refused_by_scan)
    report.files.sort(key=lambda file_report: file_report.path)
    report.entries = [entry for entry in scan.entries if entry.status != REFUSED]
    if raise_on_failure and report.files_refused:
        raise IngestFailed(report)
    return report


def _restored(landed: LandingFile, state: ManifestState) -> bool:
    """Loaded content at a path whose latest other outcome (e.g. changed after load) is stale."""
    path = landed.relative_path
    return path in state.other_outcomes and (path, landed.sha256) in state.loaded


StagingOutcome = tuple[Pending | None, "Batch | Refusal | str"]


def _staged_batches(
    pending: list[Pending],
    state: ManifestState,
    batch_records: int,
    retry_refused: bool,
) -> Iterator[StagingOutcome]:
    """Read the files into batches, in order: yields `(None, batch)` for each full batch,
    `(file, "skipped")` for content seen before, `(file, "missing")` for a file gone since
    it was found and `(file, refusal)` for a file that cannot be read. Touches no database, so
    it can run ahead in another thread. The first batch is smaller, so judging starts while the
    rest is still being read."""
    batch, limit = Batch(), max(1, batch_records // FIRST_BATCH_DIVISOR)
    for item in pending:
        landed, outcome = _stage(item, batch, state, retry_refused)
        if outcome is not None:
            yield landed, outcome
        elif batch.records >= limit:
            yield None, batch
            batch, limit = Batch(), batch_records
    if batch.files:
        yield None, batch


def _stage(
    item: Pending, batch: Batch, state: ManifestState, retry_refused: bool
) -> tuple[Pending, Refusal | str | None]:
    """Hash and read one file into the batch; the outcome when it is not added to it."""
    landed: Pending = item
    try:
        if isinstance(item, EventFile):
            landed = describe(item)
        key = (landed.relative_path, landed.sha256)
        if key in state.loaded or (key in state.refused and not retry_refused):
            return landed, SKIPPED
        if state.loaded_hashes.get(landed.relative_path):
            loaded = ", ".join(sorted(state.loaded_hashes[landed.relative_path]))
            return landed, _refusal(
                landed,
                REFUSAL_PREFIX + "changed_after_load",
                f"loaded before with sha256 {loaded}; a landed file must not change",
            )
        batch.add(landed)
    except FileNotFoundError:
        return landed, MISSING
    except Exception as error:  # whatever breaks reading this file stays with this file
        return landed, _refusal(
            landed, refusal_reason(error, landed.file_format), error_text(error)
        )
    return landed, None


def _refusal(landed: Pending, reason: str, error: str) -> Refusal:
    return Refusal(
        relative_path=landed.relative_path,
        source_system=landed.source_system,
        file_format=landed.file_format,
        entry_type=landed.entry_type,
        reason=reason,
        error=error,
        size=getattr(landed, "size", None),
        sha256=getattr(landed, "sha256", None),
    )


def _scan_refusal(entry: LandingEntry) -> Refusal:
    return Refusal(
        relative_path=entry.relative_path,
        source_system=entry.source_system,
        file_format=entry.file_format,
        entry_type=entry.entry_type,
        reason=entry.reason,
        error=entry.detail or entry.reason,
    )


def _file_report(landed: Pending, status: str, **counts) -> FileReport:
    return FileReport(
        landed.relative_path, landed.source_system, landed.file_format, status, **counts
    )


def _refusal_report(refusal: Refusal) -> FileReport:
    return FileReport(
        refusal.relative_path,
        refusal.source_system,
        refusal.file_format,
        REFUSED,
        error=refusal.error,
        reason=refusal.reason,
    )


def _refuse(con: duckdb.DuckDBPyConnection, refusal: Refusal) -> FileReport:
    record_outcomes(con, [], [refusal], utc_now())
    return _refusal_report(refusal)


def _load_batch(con: duckdb.DuckDBPyConnection, batch: Batch) -> list[FileReport]:
    """Judge and commit a batch; the reports come back in the batch's (name) order. Should a
    DuckDB error stop the batch, its files are judged and committed one by one, and a file that
    fails on its own data is refused."""
    try:
        reports = _judge_and_commit(con, batch)
    except duckdb.Error as error:
        if isinstance(error, _FATAL):
            raise
        reports = {}
        for seq, staged in enumerate(batch.files):
            try:
                reports.update(_judge_and_commit(con, batch, only_file_seq=seq))
            except duckdb.Error as file_error:
                if isinstance(file_error, _ENVIRONMENT):
                    raise
                reason = refusal_reason(file_error, staged.landed.file_format)
                refusal = _refusal(staged.landed, reason, error_text(file_error))
                reports[seq] = _refuse(con, refusal)
    return [reports[seq] for seq in range(len(batch.files))]


def _judge_and_commit(
    con: duckdb.DuckDBPyConnection, batch: Batch, only_file_seq: int | None = None
) -> dict[int, FileReport]:
    """Judge the batch's records (or one file's) in one statement and commit them."""
    try:
        check_records(con, batch.relation(only_file_seq=only_file_seq))
        seqs = range(len(batch.files)) if only_file_seq is None else [only_file_seq]
        return _commit(con, batch, {seq: batch.files[seq] for seq in seqs})
    finally:
        clear_checked(con)


def _commit(
    con: duckdb.DuckDBPyConnection, batch: Batch, loading: dict[int, StagedFile]
) -> dict[int, FileReport]:
    """Write the judged records of `loading` (files of the batch by file_seq) in one
    transaction."""
    now = utc_now()
    with transaction(con):
        resolve_duplicates(con)
        batch.fill_raw_records(con)
        written = {
            "records_stored": insert_events(con, now),
            "records_duplicate": insert_duplicates(con, now),
            "records_quarantined": insert_quarantine(con, now),
        }
        counts = outcome_counts(con)
        _insert_manifest(con, batch, loading, counts, now)
        _verify_accounting(loading, counts, written)
    return {
        seq: _file_report(staged.landed, LOADED, **counts.get(seq, {}))
        for seq, staged in loading.items()
    }


def _insert_manifest(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    loading: dict[int, StagedFile],
    counts: dict[int, dict],
    now: datetime,
) -> None:
    rows = batch.files_table().take(list(loading))
    for name in COUNT_NAMES:
        values = [counts.get(seq, {}).get(name, 0) for seq in loading]
        rows = rows.append_column(name, pa.array(values, pa.int64()))
    con.register("ingest_manifest_rows", rows)
    try:
        # the path's earlier outcome (refused, unknown…) is replaced by this one
        replace_outcomes(con, "SELECT path FROM ingest_manifest_rows", now)
        con.execute(
            f"""
INSERT INTO raw.ingested_files (path, source_system, file_format, size_bytes, sha256,
    records_read, records_stored, records_duplicate, records_quarantined, status, loaded_at,
    entry_type)
SELECT path, source_system, file_format, size_bytes, sha256, records_read, records_stored,
    records_duplicate, records_quarantined, '{LOADED}', ?::TIMESTAMP, entry_type
FROM ingest_manifest_rows""",
            [now],
        )
        con.execute("""
DELETE FROM raw.csv_file_headers
WHERE path IN (SELECT path FROM ingest_manifest_rows WHERE csv_header IS NOT NULL)""")
        con.execute("""
INSERT INTO raw.csv_file_headers
SELECT path, csv_header FROM ingest_manifest_rows WHERE csv_header IS NOT NULL""")
    finally:
        con.unregister("ingest_manifest_rows")


def _verify_accounting(
    loading: dict[int, StagedFile], counts: dict[int, dict], written: dict[str, int]
) -> None:
    """Every record read ends in exactly one place: per file, and in the rows written."""
    for seq, staged in loading.items():
        file_counts = counts.get(seq, dict.fromkeys(COUNT_NAMES, 0))
        placed = sum(file_counts[name] for name in COUNT_NAMES[1:])
        if not staged.records == file_counts["records_read"] == placed:
            raise AccountingError(
                f"{staged.landed.relative_path}: {staged.records} read, "
                f"{file_counts['records_read']} judged, {placed} placed"
            )
    for name, rows in written.items():
        expected = sum(file_counts[name] for file_counts in counts.values())
        if rows != expected:
            raise AccountingError(f"{name}: {rows} rows written, {expected} expected")
