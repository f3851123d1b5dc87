"""A batch of whole files, read and waiting to be judged and written in one transaction.

Files are only *read* one at a time, in Python (numpy/pyarrow), into Arrow tables (in the
reading thread of `engine`, which is why nothing here touches the database until the batch is
judged): a file that cannot be read is refused alone. Reading opens regular files only
(`landing.read_landed`), so a FIFO swapped in after the scan cannot hang the run. The batch is
then judged by one SQL statement over those tables, so the cost of planning it is paid per
batch, not per file, and DuckDB spreads the work over its threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from omnistock.ingest.landing import LandingFile, read_landed
from omnistock.ingest.readers import (
    ParsedParquet,
    SourceRelation,
    canonical_rows_sql,
    json_records_sql,
    jsonl_lines,
    parquet_raw_sql,
    parquet_rows,
    parse_csv_records,
)
from omnistock.ingest.store import UNSTORED_TABLE

FILES_VIEW = "ingest_batch_files"  # Arrow: one row per file of the batch
JSONL_VIEW = "ingest_jsonl_lines"  # Arrow: lines of the JSONL files, still to be parsed
ROWS_VIEW = "ingest_rows"  # Arrow: normalized rows of the CSV and Parquet files
CSV_TEXTS_VIEW = "ingest_csv_texts"  # Arrow: raw text of every CSV record
PARQUET_RAW_VIEW = "ingest_parquet_raw"  # Arrow: the quarantined rows of one Parquet file
MISSING_RAW = "ingest_missing_raw"  # temp table: quarantined records still without raw text


@dataclass
class StagedFile:
    landed: LandingFile
    records: int
    csv_header: str | None = None
    error: Exception | None = None  # set when its records made the batch statement fail


@dataclass
class Batch:
    files: list[StagedFile] = field(default_factory=list)
    records: int = 0
    _jsonl: list[pa.Table] = field(default_factory=list)
    _rows: list[pa.Table] = field(default_factory=list)
    _csv_texts: list[pa.Table] = field(default_factory=list)
    _parquet: dict[int, ParsedParquet] = field(default_factory=dict)  # by file_seq

    def add(self, landed: LandingFile) -> None:
        """Read one file into the batch; raises (and adds nothing) if it cannot be read."""
        header = None
        data = read_landed(landed.path)
        if landed.file_format == "parquet":
            parsed_parquet = parquet_rows(data)
            table, parts = parsed_parquet.rows, self._rows
            self._parquet[len(self.files)] = parsed_parquet
        elif landed.file_format == "csv":
            parsed = parse_csv_records(data)
            header, table, parts = parsed.header, parsed.rows, self._rows
            self._csv_texts.append(_with_file_seq(parsed.texts, len(self.files)))
        else:
            table, parts = jsonl_lines(data), self._jsonl
        parts.append(_with_file_seq(table, len(self.files)))
        self.files.append(StagedFile(landed, table.num_rows, header))
        self.records += table.num_rows

    def relation(self, only_file_seq: int | None = None) -> SourceRelation:
        """The normalized relation of the batch (or of one of its files)."""
        where = "" if only_file_seq is None else f"WHERE file_seq = {int(only_file_seq)}"

        def with_context(view: str) -> str:
            return f"""(
    SELECT records.*, files.path AS source_file, files.source_system AS source_folder
    FROM {view} records JOIN {FILES_VIEW} files USING (file_seq) {where})"""

        parts, tables = [], {FILES_VIEW: self.files_table()}
        if self._jsonl:
            tables[JSONL_VIEW] = _concat(self._jsonl)
            parts.append(json_records_sql(with_context(JSONL_VIEW)))
        if self._rows:
            tables[ROWS_VIEW] = _concat(self._rows)
            parts.append(canonical_rows_sql(with_context(ROWS_VIEW)))
        return SourceRelation(sql="\nUNION ALL BY NAME\n".join(parts), arrow_tables=tables)

    def files_table(self) -> pa.Table:
        """file_seq, path, source_system, file_format, size_bytes, sha256, entry_type,
        csv_header."""
        landed = [f.landed for f in self.files]
        return pa.table(
            {
                "file_seq": pa.array(range(len(landed)), pa.int64()),
                "path": pa.array([f.relative_path for f in landed], pa.string()),
                "source_system": pa.array([f.source_system for f in landed], pa.string()),
                "file_format": pa.array([f.file_format for f in landed], pa.string()),
                "size_bytes": pa.array([f.size for f in landed], pa.int64()),
                "sha256": pa.array([f.sha256 for f in landed], pa.string()),
                "entry_type": pa.array([f.entry_type for f in landed], pa.string()),
                "csv_header": pa.array([f.csv_header for f in self.files], pa.string()),
            }
        )

    def fill_raw_records(self, con: duckdb.DuckDBPyConnection) -> None:
        """Give every record bound for quarantine its raw text. Judging kept it only for records
        that broke a rule and came with their text: duplicate conflicts (decided later) and
        CSV rows (whose texts are kept apart) get it from the batch's Arrow data, and Parquet
        rows are rendered as JSON now from the file's columns as read. The texts are gathered in a
        small table first, so `ingest_unstored` is updated once."""
        con.execute(f"""
CREATE OR REPLACE TEMP TABLE {MISSING_RAW} AS
SELECT file_seq, source_line, NULL::VARCHAR AS raw_record FROM {UNSTORED_TABLE}
WHERE outcome = 'quarantined' AND raw_record IS NULL""")
        # (the normalized CSV and Parquet rows hold no text a quarantined record still lacks)
        for view, parts in ((JSONL_VIEW, self._jsonl), (CSV_TEXTS_VIEW, self._csv_texts)):
            if parts:
                con.register(view, _concat(parts))
                try:
                    _set_raw_records(con, MISSING_RAW, f"SELECT * FROM {view}")
                finally:
                    con.unregister(view)
        missing = con.execute(f"SELECT DISTINCT file_seq FROM {MISSING_RAW}").fetchall()
        for (file_seq,) in missing:
            if file_seq in self._parquet:
                parsed = self._parquet[file_seq]
                lines = con.execute(
                    f"SELECT source_line FROM {MISSING_RAW} WHERE file_seq = ? ORDER BY 1",
                    [file_seq],
                ).fetchnumpy()["source_line"]
                # columns of types DuckDB cannot read are rendered in Python (odd files only)
                if parsed.renders_in_duckdb():
                    rendered, raw_sql = parsed.rows_at(lines), parquet_raw_sql(PARQUET_RAW_VIEW)
                else:
                    rendered, raw_sql = parsed.raw_texts_at(lines), f"FROM {PARQUET_RAW_VIEW}"
                con.register(PARQUET_RAW_VIEW, rendered)
                try:
                    _set_raw_records(
                        con,
                        MISSING_RAW,
                        f"SELECT ?::BIGINT AS file_seq, * FROM ({raw_sql})",
                        [file_seq],
                    )
                finally:
                    con.unregister(PARQUET_RAW_VIEW)
        _set_raw_records(con, UNSTORED_TABLE, f"SELECT * FROM {MISSING_RAW}")


def _with_file_seq(table: pa.Table, file_seq: int) -> pa.Table:
    return table.add_column(
        0, "file_seq", pa.array(np.full(table.num_rows, file_seq, dtype=np.int64))
    )


def _concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables, promote_options="permissive")


def _set_raw_records(
    con: duckdb.DuckDBPyConnection, table: str, found_sql: str, params=None
) -> None:
    """Fill `table`'s NULL raw_record from `found_sql` (file_seq, source_line, raw_record)."""
    con.execute(
        f"""
UPDATE {table} target SET raw_record = found.raw_record
FROM ({found_sql}) found
WHERE target.raw_record IS NULL
    AND target.file_seq = found.file_seq AND target.source_line = found.source_line""",
        params or [],
    )
