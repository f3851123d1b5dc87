"""Format readers: each turns a landed file into rows of the *normalized relation*, the only
input the validation SQL knows.

Normalized relation (`NORMALIZED_COLUMNS`): where the record came from (`file_seq`, the order
used to decide which of two equal event_ids came first; `source_file`; `source_folder`;
`source_line`), its raw text, a `malformed` flag for records that could not be split into
fields at all, and the canonical fields as text (`quantity` keeps its JSON spelling, so a JSON
string "5" is not mistaken for the integer 5). Schema version 2 is upcast here, where the JSON
document is taken apart.

- JSONL: the file is split into lines in numpy (exact line numbers; blank lines are not
  records) and handed to DuckDB as an Arrow array pointing into the file's bytes; each line is
  parsed once by `json_transform` into a struct (`json_records_sql`).
- CSV: records are found in numpy, as lines first and with quote parity only when a quoted
  value spans lines; pyarrow's CSV parser splits the cells with every column as text; rows with
  the wrong number of cells are reported by pyarrow and become `malformed`. The raw text is the
  record's own text, kept in the file's bytes and looked up only for records that end in
  quarantine (`ParsedCsv.texts`).
- Parquet: read by pyarrow, the canonical columns cast to text; the line is the 1-based row
  number and the raw text is the row as stored rendered as JSON, made only for the rows that
  end in quarantine.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from omnistock.ingest.rules import CANONICAL_FIELDS

CONTEXT_COLUMNS = ("file_seq", "source_file", "source_folder")
NORMALIZED_COLUMNS = (*CONTEXT_COLUMNS, "source_line", "raw_record", "malformed", *CANONICAL_FIELDS)

UTF8_BOM = b"\xef\xbb\xbf"
NEWLINE, CARRIAGE_RETURN, QUOTE = ord("\n"), ord("\r"), ord('"')


class UnreadableFile(Exception):
    """The file cannot be read as its format at all; it is recorded with status 'failed'."""


@dataclass
class SourceRelation:
    """A SELECT producing the normalized relation, with its parameters and the Arrow tables it
    reads (registered under these names while it runs)."""

    sql: str
    params: list = field(default_factory=list)
    arrow_tables: dict[str, pa.Table] = field(default_factory=dict)

    @contextmanager
    def registered(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        for name, table in self.arrow_tables.items():
            con.register(name, table)
        try:
            yield
        finally:
            for name in self.arrow_tables:
                con.unregister(name)


# --- splitting text into records -------------------------------------------------------------


@dataclass
class TextRecords:
    """The non-blank records of a text file: 1-based first line number and raw text."""

    source_line: np.ndarray  # int64
    # string / large_string; each value still ends with its line break ("\n" or "\r\n"),
    # which costs nothing here and is stripped when a record is quarantined (see `strip_sql`)
    raw_record: pa.Array
    undecodable: np.ndarray  # bool: not valid UTF-8 (the text holds U+FFFD replacements)

    def __len__(self) -> int:
        return len(self.source_line)


def strip_sql(column: str) -> str:
    """SQL removing the line break a raw record may still end with."""
    return f"rtrim({column}, chr(13) || chr(10))"


def split_records(data: bytes, quote_aware: bool = False) -> TextRecords:
    """Split text into records at line breaks, vectorized and without copying the text: the
    Arrow array's offsets point into the file's bytes.

    With `quote_aware` (CSV) a line break inside a quoted value does not end the record: a break
    ends a record only after an even number of quote characters (escaped quotes `""` come in
    pairs, so parity holds).
    """
    data = data.removeprefix(UTF8_BOM)
    if not data:
        return TextRecords(np.zeros(0, np.int64), pa.array([], pa.string()), np.zeros(0, bool))
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == NEWLINE)
    breaks = newlines
    first_lines = np.arange(2, len(newlines) + 2, dtype=np.int64)  # line after each newline
    if quote_aware:
        quotes = np.flatnonzero(buffer == QUOTE)
        if len(quotes):
            outside_quotes = np.searchsorted(quotes, newlines) % 2 == 0
            breaks, first_lines = newlines[outside_quotes], first_lines[outside_quotes]
    offsets = np.concatenate(([0], breaks + 1, [len(buffer)]))
    source_line = np.concatenate(([1], first_lines))

    # a record is blank when nothing but its line break ("\n" or "\r\n") is left
    terminator = np.zeros(len(source_line), dtype=np.int64)
    terminator[:-1] = 1 + (buffer[np.maximum(breaks - 1, 0)] == CARRIAGE_RETURN) * (
        breaks > offsets[:-2]
    )
    kept = np.diff(offsets) > terminator

    string_type = pa.large_string() if len(buffer) >= 2**31 else pa.string()
    offsets = offsets.astype(np.int64 if string_type == pa.large_string() else np.int32)
    raw = pa.Array.from_buffers(
        string_type, len(source_line), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    if not kept[:-1].all():
        raw, source_line = raw.filter(kept), source_line[kept]
    elif not kept[-1]:  # the usual case: only the empty "record" after the final line break
        raw, source_line = raw.slice(0, len(raw) - 1), source_line[:-1]
    if _is_utf8(data):  # records split at line breaks are then valid UTF-8 too
        return TextRecords(source_line, raw, np.zeros(len(raw), dtype=bool))
    raw, undecodable = _decode_leniently(raw)
    return TextRecords(source_line, raw, undecodable)


def _is_utf8(data: bytes) -> bool:
    """One pass over the whole text: far cheaper than checking record by record."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_leniently(raw: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Slow path for a file with invalid UTF-8: replace bad bytes and flag those records."""
    texts, undecodable = [], []
    for value in raw.cast(pa.large_binary()).to_pylist():
        try:
            texts.append(value.decode("utf-8"))
            undecodable.append(False)
        except UnicodeDecodeError:
            texts.append(value.decode("utf-8", errors="replace"))
            undecodable.append(True)
    return pa.array(texts, pa.large_string()), np.array(undecodable, dtype=bool)


# --- JSON (JSONL files; also quarantined JSONL/Parquet records on replay) ---------------------

_TEXT = "VARCHAR"
_RAW_JSON = "JSON"  # keeps the JSON spelling: 5 stays 5, "5" stays "5"
JSON_SHAPE = json.dumps(
    {
        **{name: _TEXT for name in CANONICAL_FIELDS},
        "quantity": _RAW_JSON,
        "attributes": _RAW_JSON,
        "site_id": _TEXT,  # schema version 2 (SPEC 4.3)
        "item": {"sku": _TEXT, "qty": _RAW_JSON},
    }
)


def json_records_sql(source: str) -> str:
    """Normalized relation from `source`, a relation with the context columns, `source_line`,
    `raw_record` (one JSON object) and `undecodable`."""
    v2 = "doc.schema_version = '2'"
    fields = {
        **{name: f"doc.{name}" for name in CANONICAL_FIELDS},
        "location_id": f"CASE WHEN {v2} THEN doc.site_id ELSE doc.location_id END",
        "sku": f"CASE WHEN {v2} THEN doc.item.sku ELSE doc.sku END",
        "quantity": f"(CASE WHEN {v2} THEN doc.item.qty ELSE doc.quantity END)::VARCHAR",
        # attributes may arrive as an object or as a JSON string holding one
        "attributes": "CASE WHEN json_type(doc.attributes) = 'VARCHAR' "
        "THEN doc.attributes ->> '$' ELSE doc.attributes::VARCHAR END",
    }
    field_list = ",\n".join(f"    {expr} AS {name}" for name, expr in fields.items())
    return f"""
SELECT {", ".join(CONTEXT_COLUMNS)}, source_line, raw_record,
    undecodable OR doc IS NULL OR NOT regexp_matches(raw_record, '^\\s*[{{]') AS malformed,
{field_list}
FROM (
    -- Guarded: try() alone falls back to row-at-a-time evaluation whenever a vector holds
    -- one malformed line (about 4x slower); the guard keeps try() for the rare odd object.
    SELECT *, CASE WHEN json_valid(raw_record) AND json_type(raw_record) = 'OBJECT'
        THEN try(json_transform(raw_record, '{JSON_SHAPE}')) END AS doc
    FROM {source}
)"""


# --- CSV -------------------------------------------------------------------------------------


@dataclass
class ParsedCsv:
    """A CSV file taken apart. `rows`: source_line, raw_record, malformed and the canonical
    fields as text; `raw_record` is only filled for malformed rows (copying every record's text
    would cost more than parsing it: the others get theirs from `texts` when they end in
    quarantine). `texts`: source_line and raw_record of every data record, pointing into the
    file's bytes."""

    header: str
    rows: pa.Table
    texts: pa.Table

    def rows_with_raw_records(self) -> pa.Table:
        """`rows` with every record's raw text (for small inputs: it copies the texts)."""
        position = np.searchsorted(
            self.texts.column("source_line").to_numpy(), self.rows.column("source_line").to_numpy()
        )
        index = self.rows.schema.get_field_index("raw_record")
        return self.rows.set_column(
            index, "raw_record", self.texts.column("raw_record").take(position)
        )


def parse_csv_records(data: bytes) -> ParsedCsv:
    """Parse CSV text: the header line, the rows (canonical fields as text; empty cells are
    null) and the records' texts.

    Records are first taken to be lines, which is cheaper than following the quotes; when the
    parser finds fewer records than there are lines, some value holds a line break and the
    records are split again, quote-aware. (A record spanning lines starts and ends with
    non-blank lines, its opening and closing quote, so it always makes the counts differ.)"""
    records = split_records(data)
    if len(records) == 0:
        return ParsedCsv(
            "", _empty_csv_table(), _texts_table(records.source_line, records.raw_record)
        )
    header = records.raw_record[0].as_py().rstrip("\r\n")
    names = next(csv.reader([header]))
    if len(set(names)) != len(names):
        raise UnreadableFile(f"CSV header repeats a column: {header!r}")
    present = [name for name in CANONICAL_FIELDS if name in names]
    if not present:
        raise UnreadableFile(f"CSV header names none of the canonical fields: {header!r}")

    text = data.removeprefix(UTF8_BOM)
    if records.undecodable.any():
        text = text.decode("utf-8", errors="replace").encode("utf-8")
    cells, invalid_rows = _parse_cells(text, names, present)

    data_records = len(records) - 1  # pyarrow numbers non-blank records from 1 = the header
    if cells.num_rows + len(invalid_rows) < data_records:
        records = split_records(data, quote_aware=True)
        data_records = len(records) - 1
    if cells.num_rows + len(invalid_rows) != data_records:
        raise UnreadableFile(
            f"CSV records could not be matched to lines ({cells.num_rows} rows + "
            f"{len(invalid_rows)} malformed vs {data_records} records); stray carriage return?"
        )
    is_invalid = np.zeros(len(records), dtype=bool)
    is_invalid[np.asarray(invalid_rows, dtype=np.int64) - 1] = True
    is_invalid[0] = False
    valid_positions = np.flatnonzero(~is_invalid)[1:]  # skip the header record
    invalid_positions = np.flatnonzero(is_invalid)

    parsed = {name: cells.column(name) for name in present}
    valid = pa.table(
        {
            "source_line": records.source_line[valid_positions],
            "raw_record": pa.nulls(len(valid_positions), pa.string()),
            "malformed": records.undecodable[valid_positions],
            **{
                name: parsed.get(name, pa.nulls(len(valid_positions), pa.string()))
                for name in CANONICAL_FIELDS
            },
        }
    )
    malformed = pa.table(
        {
            "source_line": records.source_line[invalid_positions],
            "raw_record": records.raw_record.take(invalid_positions).cast(pa.string()),
            "malformed": np.ones(len(invalid_positions), dtype=bool),
            **{name: pa.nulls(len(invalid_positions), pa.string()) for name in CANONICAL_FIELDS},
        }
    )
    texts = _texts_table(records.source_line[1:], records.raw_record.slice(1))
    return ParsedCsv(header, pa.concat_tables([valid, malformed.cast(valid.schema)]), texts)


def _texts_table(source_line: np.ndarray, raw_record: pa.Array) -> pa.Table:
    return pa.table({"source_line": source_line, "raw_record": raw_record})


def _parse_cells(text: bytes, names: list[str], present: list[str]) -> tuple[pa.Table, list[int]]:
    """pyarrow's parser, every column as text. Rows with the wrong number of cells are skipped
    and their numbers returned. Single-threaded: the threaded parser does not number the rows it
    hands to the handler, and a landing file of any size usually holds a bad row or two."""
    invalid_rows: list[int] = []

    def collect(row) -> str:
        invalid_rows.append(row.number)
        return "skip"

    try:
        table = pa_csv.read_csv(
            pa.py_buffer(text),
            read_options=pa_csv.ReadOptions(use_threads=False),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=collect),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=present,
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as error:
        raise UnreadableFile(f"CSV could not be parsed: {error}") from error
    return table, invalid_rows


def _empty_csv_table() -> pa.Table:
    return pa.table(
        {
            "source_line": pa.array([], pa.int64()),
            "raw_record": pa.array([], pa.string()),
            "malformed": pa.array([], pa.bool_()),
            **{name: pa.array([], pa.string()) for name in CANONICAL_FIELDS},
        }
    )


# --- Parquet ---------------------------------------------------------------------------------


def jsonl_lines(data: bytes) -> pa.Table:
    """The records of a JSONL file: source_line, raw_record, undecodable."""
    records = split_records(data)
    return pa.table(
        {
            "source_line": records.source_line,
            "raw_record": records.raw_record,
            "undecodable": records.undecodable,
        }
    )


@dataclass
class ParsedParquet:
    """A Parquet file read. `rows`: normalized, canonical columns as text (NULL where the file
    lacks them), the line being the 1-based row number. Their raw text is left NULL: rendering
    every row as JSON would cost more than reading the file, so it is made only for the rows
    that end in quarantine, from `stored` (the file's own columns and types; `rows_at`)."""

    rows: pa.Table
    stored: pa.Table

    def rows_at(self, lines: np.ndarray) -> pa.Table:
        """The stored rows at 1-based `lines`, after a `source_line` column."""
        picked = self.stored.take(pa.array(lines - 1))
        return picked.add_column(0, "source_line", pa.array(lines))


def parquet_rows(path: Path) -> ParsedParquet:
    try:
        stored = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise UnreadableFile(f"Parquet could not be read: {error}") from error
    rows = stored.num_rows
    columns = {
        "source_line": pa.array(np.arange(1, rows + 1, dtype=np.int64)),
        "raw_record": pa.nulls(rows, pa.string()),
        "malformed": pa.array(np.zeros(rows, dtype=bool)),
    }
    for name in CANONICAL_FIELDS:
        if name not in stored.column_names:
            columns[name] = pa.nulls(rows, pa.string())
            continue
        try:
            columns[name] = pc.cast(stored.column(name), pa.string())
        except pa.ArrowNotImplementedError as error:
            raise UnreadableFile(
                f"Parquet column {name} is not text or a number: {error}"
            ) from error
    return ParsedParquet(pa.table(columns), stored)


# The raw text of Parquet rows (`ParsedParquet.rows_at`, registered under the name given): each
# row rendered as a JSON object.
def parquet_raw_sql(view: str) -> str:
    return f"""
SELECT source_line,
    to_json(struct_pack(*COLUMNS(* EXCLUDE (source_line))))::VARCHAR AS raw_record
FROM {view}"""
