"""`replay_quarantine`: re-judge quarantined records after a fix (e.g. reference data gained a
missing location), through the same normalization, validation and duplicate decisions as
ingestion.

A replayed record that now passes is stored (or logged as a duplicate) under its original file
and line, and its quarantine row gets `replayed_at`; a record that still fails stays
quarantined, with its reason updated if a different rule now fails first. The manifest counts
of its file move with it, so the accounting identity keeps holding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from omnistock.ingest.db import scalar, transaction
from omnistock.ingest.readers import (
    SourceRelation,
    UnreadableFile,
    canonical_rows_sql,
    json_records_sql,
    parse_csv_records,
)
from omnistock.ingest.schema import ensure_schema
from omnistock.ingest.store import (
    OUTCOMES_VIEW,
    insert_duplicates,
    insert_events,
    resolve_duplicates,
)
from omnistock.ingest.validation import check_records, clear_checked, prepare_session, utc_now

CANDIDATES_TABLE = "ingest_replay_candidates"
REPLACEMENT_CHARACTER = "\ufffd"


@dataclass
class ReplayReport:
    examined: int = 0
    stored: int = 0
    duplicates: int = 0
    still_quarantined: int = 0
    reasons_changed: int = 0
    not_replayable: int = 0  # CSV lines whose file header is unknown or unusable
    still_quarantined_by_reason: dict[str, int] = field(default_factory=dict)


def replay_quarantine(
    con: duckdb.DuckDBPyConnection,
    reasons: Iterable[str] | None = None,
    *,
    ingested_at: datetime | None = None,
) -> ReplayReport:
    """Re-validate the quarantined records not replayed yet (only those with one of `reasons`,
    if given) in one transaction. The accepted timestamp window is relative to `ingested_at`
    (default: now), as for an ingest run."""
    ensure_schema(con)
    prepare_session(con, ingested_at)
    reason_filter = sorted(set(reasons)) if reasons is not None else None
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE {CANDIDATES_TABLE} AS
SELECT q.*, lower(q.source_file) LIKE '%.csv' AS is_csv, h.header AS csv_header,
    -- a record that was not valid UTF-8 only holds replacement characters: keep it malformed
    q.reason = 'malformed_record' AND contains(q.raw_record, ?) AS undecodable
FROM raw.quarantined_events q LEFT JOIN raw.csv_file_headers h ON h.path = q.source_file
WHERE q.replayed_at IS NULL AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], q.reason))
    -- a whole refused file (source_line 0) is retried by ingestion (`retry_refused`)
    AND q.source_line > 0""",
        [REPLACEMENT_CHARACTER, reason_filter, reason_filter],
    )
    report = ReplayReport()
    report.not_replayable = scalar(
        con, f"SELECT count(*) FROM {CANDIDATES_TABLE} WHERE is_csv AND csv_header IS NULL"
    )
    try:
        report.examined = check_records(con, _candidates(con, report))
        if report.examined:
            _apply(con, report)
    finally:
        clear_checked(con)
    return report


def _candidates(con: duckdb.DuckDBPyConnection, report: ReplayReport) -> SourceRelation:
    """The normalized relation of the candidates: JSONL lines and Parquet rows (rendered as
    JSON) are JSON objects; CSV lines are re-parsed under their file's header."""
    json_part = json_records_sql(f"""(
    SELECT quarantine_id AS file_seq, source_file, source_system AS source_folder, source_line,
        raw_record, undecodable
    FROM {CANDIDATES_TABLE} WHERE NOT is_csv)""")
    csv_tables = list(_csv_candidates(con, report))
    if not csv_tables:
        return SourceRelation(sql=json_part)
    return SourceRelation(
        sql=f"{json_part}\nUNION ALL BY NAME\n{canonical_rows_sql('ingest_replay_csv')}",
        arrow_tables={
            "ingest_replay_csv": pa.concat_tables(csv_tables, promote_options="permissive")
        },
    )


def _csv_candidates(con: duckdb.DuckDBPyConnection, report: ReplayReport) -> Iterable[pa.Table]:
    """Per CSV file: its header plus its quarantined lines, parsed by the ingestion CSV parser."""
    files = con.execute(
        f"SELECT DISTINCT source_file FROM {CANDIDATES_TABLE} "
        "WHERE is_csv AND csv_header IS NOT NULL ORDER BY 1"
    ).fetchall()
    for (source_file,) in files:
        rows = con.sql(
            f"""
SELECT quarantine_id, source_system, source_line, raw_record, csv_header, undecodable
FROM {CANDIDATES_TABLE} WHERE source_file = $source_file ORDER BY source_line""",
            params={"source_file": source_file},
        ).to_arrow_table()
        records = rows.column("raw_record").to_pylist()
        header = rows.column("csv_header")[0].as_py()
        try:
            parsed = parse_csv_records(
                "\n".join([header, *records]).encode("utf-8")
            ).rows_with_raw_records()
        except UnreadableFile:
            report.not_replayable += len(records)  # they stay quarantined as they are
            continue
        # line of each record in the text just built: header is line 1
        line_breaks = np.array([record.count("\n") for record in records], dtype=np.int64)
        built_lines = (
            2 + np.arange(len(records)) + np.concatenate(([0], np.cumsum(line_breaks)[:-1]))
        )
        position = np.searchsorted(built_lines, parsed.column("source_line").to_numpy())
        undecodable = rows.column("undecodable").to_numpy(zero_copy_only=False)[position]
        table = parsed.set_column(
            parsed.schema.get_field_index("source_line"),
            "source_line",
            rows.column("source_line").take(position),
        ).set_column(
            parsed.schema.get_field_index("malformed"),
            "malformed",
            pa.array(parsed.column("malformed").to_numpy(zero_copy_only=False) | undecodable),
        )
        table = table.append_column("file_seq", rows.column("quarantine_id").take(position))
        table = table.append_column("source_file", pa.array([source_file] * len(table)))
        yield table.append_column("source_folder", rows.column("source_system").take(position))


def _apply(con: duckdb.DuckDBPyConnection, report: ReplayReport) -> None:
    now = utc_now()
    with transaction(con):
        resolve_duplicates(con)
        report.stored = insert_events(con, now)
        report.duplicates = insert_duplicates(con, now)
        con.execute(
            f"""
UPDATE raw.quarantined_events q SET replayed_at = ?::TIMESTAMP
FROM {OUTCOMES_VIEW} o
WHERE q.quarantine_id = o.file_seq AND o.outcome IN ('stored', 'duplicate')""",
            [now],
        )
        report.reasons_changed = scalar(
            con,
            f"""
UPDATE raw.quarantined_events q SET reason = o.reason
FROM {OUTCOMES_VIEW} o
WHERE q.quarantine_id = o.file_seq AND o.outcome = 'quarantined' AND q.reason <> o.reason""",
        )
        # the file's counts follow its records out of quarantine
        con.execute(f"""
UPDATE raw.ingested_files f
SET records_stored = f.records_stored + moved.stored,
    records_duplicate = f.records_duplicate + moved.duplicate,
    records_quarantined = f.records_quarantined - moved.stored - moved.duplicate
FROM (
    SELECT source_file, count_if(outcome = 'stored') AS stored,
        count_if(outcome = 'duplicate') AS duplicate
    FROM {OUTCOMES_VIEW} GROUP BY source_file
) moved
WHERE f.path = moved.source_file AND f.status = 'loaded'""")
        remaining = con.execute(f"""
SELECT reason, count(*) FROM {OUTCOMES_VIEW} WHERE outcome = 'quarantined'
GROUP BY reason ORDER BY 2 DESC, 1""").fetchall()
    report.still_quarantined_by_reason = dict(remaining)
    report.still_quarantined = sum(report.still_quarantined_by_reason.values())
