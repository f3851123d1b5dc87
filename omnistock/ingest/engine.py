"""`ingest_files`: landed files into the event store, whole files at a time.

Files are read one by one, in name order, into a batch (up to `batch_records` records; the
first batch is a quarter of that) by a reading thread that hashes and parses ahead while the
current batch is written; it never touches the database. Per batch: one SQL statement judges every record (session table `ingest_checked`), then ONE
transaction decides duplicates against the store, writes events, duplicates, quarantine,
manifest rows and CSV headers, verifies the accounting identity per file and commits. A file is
therefore never partly loaded: its rows and its manifest row commit together or not at all.
Batching small files keeps the per-statement costs (planning, the probe of the stored
event_ids for duplicates) from being paid once per file; `batch_records=1` gives one
transaction per file.

Failures:
- a file that cannot be read as its format (corrupt Parquet, a CSV whose header is unusable…)
  gets a manifest row with status 'failed' and the error, the other files are loaded, and
  `IngestFailed` (carrying the report) is raised at the end unless `raise_on_failure=False`;
  a failed file is retried by the next run. (If judging a batch fails, its files are judged
  one by one so only the file at fault fails.)
- any error while writing a batch rolls the whole batch back and propagates: nothing of those
  files is recorded, so the next run loads them whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from omnistock.ingest.db import transaction
from omnistock.ingest.landing import (
    LandingFile,
    landed_paths,
    landing_file,
    relative_landing_path,
)
from omnistock.ingest.prefetch import prefetched
from omnistock.ingest.readers import UnreadableFile
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

DEFAULT_BATCH_RECORDS = 1_000_000
FIRST_BATCH_DIVISOR = 4
COUNT_NAMES = ("records_read", "records_stored", "records_duplicate", "records_quarantined")
READ_ERRORS = (UnreadableFile, OSError, pa.ArrowException, duckdb.Error)


def _in_name_order(
    landing_dir: Path, files: Iterable[LandingFile | Path | str]
) -> list[LandingFile | Path | str]:
    """The files sorted by their path in the landing folder; a path outside it, or not an event
    file, raises ValueError here, before anything is loaded."""
    keyed = [
        (
            f.relative_path
            if isinstance(f, LandingFile)
            else relative_landing_path(landing_dir, f),
            f,
        )
        for f in files
    ]
    return [f for _, f in sorted(keyed, key=lambda pair: pair[0])]


def _loaded_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT sha256 FROM raw.ingested_files WHERE status = 'loaded'").fetchall()
    return {sha256 for (sha256,) in rows}


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path | str,
    files: Iterable[LandingFile | Path | str] | None = None,
    *,
    batch_records: int = DEFAULT_BATCH_RECORDS,
    raise_on_failure: bool = True,
) -> IngestReport:
    """Load every landed file not loaded yet (or only `files`: LandingFiles or paths, absolute
    or relative to the landing folder). A file whose sha256 was loaded before is skipped."""
    landing_dir = Path(landing_dir)
    ensure_schema(con)
    prepare_session(con)
    # described (hashed) by the reading thread, as it gets to them
    pending = landed_paths(landing_dir) if files is None else _in_name_order(landing_dir, files)
    report = IngestReport()
    staged = _staged_batches(landing_dir, pending, _loaded_hashes(con), batch_records)
    for landed, outcome in prefetched(staged):
        if isinstance(outcome, Batch):
            report.files.extend(_load_batch(con, outcome))
        elif isinstance(outcome, Exception):
            report.files.append(_record_failure(con, landed, outcome))
        else:
            report.files.append(_file_report(landed, outcome))
    if raise_on_failure and report.files_failed:
        raise IngestFailed(report)
    return report


StagingOutcome = tuple[LandingFile | None, "Batch | Exception | str"]


def _staged_batches(
    landing_dir: Path,
    pending: list[LandingFile | Path | str],
    loaded: set[str],
    batch_records: int,
) -> Iterator[StagingOutcome]:
    """Read the files into batches, in order: yields `(None, batch)` for each full batch,
    `(file, "skipped")` for content loaded before and `(file, error)` for a file that cannot be
    read. Touches no database, so it can run ahead in another thread. The first batch is
    smaller, so judging starts while the rest is still being read."""
    batch, limit = Batch(), max(1, batch_records // FIRST_BATCH_DIVISOR)
    for item in pending:
        landed = item if isinstance(item, LandingFile) else landing_file(landing_dir, item)
        if landed.sha256 in loaded:
            yield landed, "skipped"
            continue
        try:
            batch.add(landed)
        except READ_ERRORS as error:
            yield landed, error
            continue
        loaded.add(landed.sha256)  # a copy of the same content later in this run is skipped
        if batch.records >= limit:
            yield None, batch
            batch, limit = Batch(), batch_records
    if batch.files:
        yield None, batch


def _file_report(landed: LandingFile, status: str, **counts) -> FileReport:
    return FileReport(
        landed.relative_path, landed.source_system, landed.file_format, status, **counts
    )


def _load_batch(con: duckdb.DuckDBPyConnection, batch: Batch) -> list[FileReport]:
    """Judge and commit a batch; the reports come back in the batch's (name) order."""
    try:
        _judge(con, batch)
        loaded = _commit_batch(con, batch)
    finally:
        clear_checked(con)
    return [
        _record_failure(con, staged.landed, staged.error) if staged.error else loaded[seq]
        for seq, staged in enumerate(batch.files)
    ]


def _judge(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Judge the whole batch in one statement; should a file's records make it fail, judge the
    files one by one and mark those at fault."""
    try:
        check_records(con, batch.relation())
    except duckdb.Error:
        clear_checked(con)
        for file_seq, staged in enumerate(batch.files):
            try:
                check_records(con, batch.relation(only_file_seq=file_seq))
            except duckdb.Error as error:
                staged.error = error


def _commit_batch(con: duckdb.DuckDBPyConnection, batch: Batch) -> dict[int, FileReport]:
    """Write the judged records of the batch's files in one transaction."""
    loading = {seq: staged for seq, staged in enumerate(batch.files) if staged.error is None}
    if not loading:
        return {}
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
        seq: _file_report(staged.landed, "loaded", **counts.get(seq, {}))
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
        # a file that failed before and loads now: its 'failed' row is replaced
        con.execute("""
DELETE FROM raw.ingested_files
WHERE status = 'failed' AND path IN (SELECT path FROM ingest_manifest_rows)""")
        con.execute(
            """
INSERT INTO raw.ingested_files
SELECT path, source_system, file_format, size_bytes, sha256, records_read, records_stored,
    records_duplicate, records_quarantined, 'loaded', ?::TIMESTAMP, NULL
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


def _record_failure(
    con: duckdb.DuckDBPyConnection, landed: LandingFile, error: Exception
) -> FileReport:
    """Manifest row with status 'failed' (replacing an earlier failure of the same file)."""
    message = f"{type(error).__name__}: {error}"
    with transaction(con):
        con.execute(
            "DELETE FROM raw.ingested_files WHERE status = 'failed' AND path = ?",
            [landed.relative_path],
        )
        con.execute(
            """
INSERT INTO raw.ingested_files
VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, 'failed', ?::TIMESTAMP, ?)""",
            [
                landed.relative_path,
                landed.source_system,
                landed.file_format,
                landed.size,
                landed.sha256,
                utc_now(),
                message,
            ],
        )
    return _file_report(landed, "failed", error=message)
