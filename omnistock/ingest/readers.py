"""Format readers: each turns a landed file into rows of the *normalized relation*, the only
input the validation SQL knows.

Normalized relation: where the record came from (`file_seq`, the order used to decide which
of two equal event_ids came first; `source_file`; `source_folder`; `source_line`), its raw
text, a `malformed` flag for records that could not be split into fields at all, the canonical
fields as text (`quantity` keeps its JSON spelling, so a JSON string "5" is not mistaken for
the integer 5) and `adapter_reason`. JSON records in another shape (schema version 2, a source
with its own record shape) are mapped here, where the JSON document is taken apart, by the
registered source adapters (`omnistock.ingest.adapters`), which may give a record a quarantine
reason of their own.

- JSONL: the file is split into lines in numpy (exact line numbers; blank lines are not
  records) and handed to DuckDB as an Arrow array pointing into the file's bytes; each line is
  parsed once by `json_transform` into a struct (`json_records_sql`) holding the canonical
  keys and those the adapters read.
- CSV: records are found in numpy, as lines first and with quote parity only when a quoted
  value spans lines; pyarrow's CSV parser splits the cells with every column as text (only an
  empty cell is missing: `NA`, `null`, `NaN` are values); rows with the wrong number of cells
  are reported by pyarrow and become `malformed`. The raw text is the record's own text, kept
  in the file's bytes and looked up only for records that end in quarantine
  (`ParsedCsv.texts`). A file the fast path cannot place record by record (an unbalanced
  quote, CR-only line ends, a bare CR in a value) is parsed by a tolerant Python path that
  makes the bad records `malformed` and keeps the rest.
- Parquet: read by pyarrow, the canonical columns cast to text (nested values rendered as JSON
  text, a row with a binary value that is not UTF-8 `malformed`); the line is the 1-based row
  number and the raw text is the row as stored rendered as JSON, made only for the rows that
  end in quarantine.

`UnreadableFile` (kind `csv_header` or `parquet`) is left for a file that cannot be read as
its format at all.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from omnistock.ingest import adapters as adapters_registry
from omnistock.ingest.adapters import SourceAdapter
from omnistock.ingest.db import literal
from omnistock.ingest.rules import CANONICAL_FIELDS

CONTEXT_COLUMNS = ("file_seq", "source_file", "source_folder")

UTF8_BOM = b"\xef\xbb\xbf"
NEWLINE, CARRIAGE_RETURN, QUOTE = ord("\n"), ord("\r"), ord('"')


class UnreadableFile(Exception):
    """The file cannot be read as its format at all: it is refused (manifest status 'refused',
    quarantine reason `unreadable_file:<kind>`)."""

    def __init__(self, message: str, kind: str = "file"):
        super().__init__(message)
        self.kind = kind  # csv_header | csv | parquet | file


class _NeedsTolerantParse(Exception):
    """The fast CSV path cannot place every record; the tolerant path can."""


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

ADAPTER_REASON = "adapter_reason"  # the reason of the adapter that mapped the record, if any


def _first_selecting(
    adapters: tuple[SourceAdapter, ...],
    expression_of: Callable[[SourceAdapter], str | None],
    default: str,
) -> str:
    """SQL giving, for each record, `expression_of` the first adapter that selects it (or
    `default` when that is None), and `default` for a record no adapter selects."""
    expressions = [expression_of(adapter) for adapter in adapters]
    while expressions and expressions[-1] is None:  # later adapters that only give the default
        expressions.pop()
    if not expressions:
        return default
    whens = " ".join(
        f"WHEN {adapter.selects} THEN {expression or default}"
        for adapter, expression in zip(adapters, expressions, strict=False)
    )
    return f"CASE {whens} ELSE {default} END"


def _mapped(name: str, adapters: tuple[SourceAdapter, ...]) -> str:
    """SQL for a canonical field: the selecting adapter's expression, else the key of that
    name."""
    return _first_selecting(adapters, lambda adapter: adapter.fields.get(name), f"doc.{name}")


def _adapter_reason(adapters: tuple[SourceAdapter, ...]) -> str:
    """SQL for the first of the selecting adapter's own reasons that holds, else NULL."""

    def reasons(adapter: SourceAdapter) -> str | None:
        if not adapter.reasons:
            return None
        whens = " ".join(
            f"WHEN {condition} THEN {literal(reason)}" for reason, condition in adapter.reasons
        )
        return f"CASE {whens} END"

    return _first_selecting(adapters, reasons, "NULL::VARCHAR")


def json_records_sql(source: str) -> str:
    """Normalized relation from `source`, a relation with the context columns, `source_line`,
    `raw_record` (one JSON object) and `undecodable`. The registered source adapters map the
    records they select (`omnistock.ingest.adapters`)."""
    adapters = adapters_registry.registered()
    fields = {name: _mapped(name, adapters) for name in CANONICAL_FIELDS}
    # quantity keeps its JSON spelling as text; attributes may arrive as an object or as a
    # JSON string holding one
    fields["quantity"] = f"({fields['quantity']})::VARCHAR"
    attributes = fields["attributes"]
    fields["attributes"] = (
        f"CASE WHEN json_type({attributes}) = 'VARCHAR' "
        f"THEN {attributes} ->> '$' ELSE {attributes}::VARCHAR END"
    )
    field_list = ",\n".join(f"    {expr} AS {name}" for name, expr in fields.items())
    shape = json.dumps(adapters_registry.json_shape())
    return f"""
SELECT {", ".join(CONTEXT_COLUMNS)}, source_line, raw_record,
    undecodable OR doc IS NULL OR NOT regexp_matches(raw_record, '^\\s*[{{]') AS malformed,
{field_list},
    {_adapter_reason(adapters)} AS {ADAPTER_REASON}
FROM (
    -- Guarded: try() alone falls back to row-at-a-time evaluation whenever a vector holds
    -- one malformed line (about 4x slower); the guard keeps try() for the rare odd object.
    SELECT *, CASE WHEN json_valid(raw_record) AND json_type(raw_record) = 'OBJECT'
        THEN try(json_transform(raw_record, '{shape}')) END AS doc
    FROM {source}
)"""


def canonical_rows_sql(relation: str) -> str:
    """Normalized relation from rows read by their canonical column names (CSV, Parquet): no
    adapter maps them."""
    return f"SELECT *, NULL::VARCHAR AS {ADAPTER_REASON} FROM {relation}"


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
    """Parse CSV text: the header line, the rows (canonical fields as text; only an empty cell
    is missing: `NA`, `null`… stay as sent) and the records' texts.

    Files are read by the fast path (`_parse_csv_fast`); the few it cannot place record by
    record (an odd number of quote characters, a carriage return that does not end a CRLF
    line break, records that do not match the lines) go through the tolerant path
    (`_parse_csv_tolerantly`), which quarantines the bad records and keeps the rest."""
    body = data.removeprefix(UTF8_BOM)
    if _needs_tolerant_parse(body):
        return _parse_csv_tolerantly(body)
    try:
        return _parse_csv_fast(body)
    except _NeedsTolerantParse:
        return _parse_csv_tolerantly(body)


def _needs_tolerant_parse(body: bytes) -> bool:
    """An unbalanced quote, or a carriage return that is neither part of a CRLF line break nor
    the file's last byte (old Mac line ends, a bare CR inside a value): the fast path would
    misplace records."""
    if body.count(b'"') % 2:
        return True
    if b"\r" not in body:
        return False
    buffer = np.frombuffer(body, dtype=np.uint8)
    returns = np.flatnonzero(buffer[:-1] == CARRIAGE_RETURN)
    return not (buffer[returns + 1] == NEWLINE).all()


def _check_header(header: str, names: list[str]) -> list[str]:
    """The canonical fields the header names; UnreadableFile when it cannot be used."""
    if len(set(names)) != len(names):
        raise UnreadableFile(f"CSV header repeats a column: {header!r}", kind="csv_header")
    present = [name for name in CANONICAL_FIELDS if name in names]
    if not present:
        raise UnreadableFile(
            f"CSV header names none of the canonical fields: {header!r}", kind="csv_header"
        )
    return present


def _parse_csv_fast(body: bytes) -> ParsedCsv:
    """Records are first taken to be lines, which is cheaper than following the quotes; when
    the parser finds fewer records than there are lines, some value holds a line break and the
    records are split again, quote-aware. (A record spanning lines starts and ends with
    non-blank lines, its opening and closing quote, so it always makes the counts differ.)"""
    records = split_records(body)
    if len(records) == 0:
        return ParsedCsv(
            "", _empty_csv_table(), _texts_table(records.source_line, records.raw_record)
        )
    header = records.raw_record[0].as_py().rstrip("\r\n")
    names = next(csv.reader([header]))
    present = _check_header(header, names)
    if len(records) == 1:  # a header and no records (with or without a final line break)
        return ParsedCsv(
            header,
            _empty_csv_table(),
            _texts_table(records.source_line[1:], records.raw_record.slice(1)),
        )

    text = body
    if records.undecodable.any():
        text = text.decode("utf-8", errors="replace").encode("utf-8")
    cells, invalid_rows = _parse_cells(text, names, present)

    data_records = len(records) - 1  # pyarrow numbers non-blank records from 1 = the header
    if cells.num_rows + len(invalid_rows) < data_records:
        records = split_records(body, quote_aware=True)
        data_records = len(records) - 1
    if cells.num_rows + len(invalid_rows) != data_records:
        raise _NeedsTolerantParse
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


# --- CSV, tolerant path: record by record, for the files the fast path cannot place -----------

COMMA = ord(",")
_CELL_END = re.compile(rb"[,\r\n]")
_LINE_BREAK = re.compile(rb"[\r\n]")


def _ends_cell(body: bytes, at: int, lf_mode: bool) -> bool:
    """Whether a cell may end at `at`: end of file, a comma or a line break. In a file with LF
    line breaks a carriage return only ends a cell as part of CRLF (or as the last byte)."""
    if at >= len(body) or body[at] in (COMMA, NEWLINE):
        return True
    return body[at] == CARRIAGE_RETURN and (
        not lf_mode or at + 1 == len(body) or body[at + 1] == NEWLINE
    )


def _split_record(body: bytes, at: int, lf_mode: bool) -> tuple[list[bytes] | None, int, int]:
    """The cells of the record starting at `at`, where its text ends and where the next record
    starts; cells None when it cannot be split (a quoted value that never ends, or whose
    closing quote is on another line and followed by more text; a bare carriage return in an
    unquoted value). Otherwise it reads as pyarrow's parser and Python's csv module do: a quote
    inside an unquoted value is a plain character, and `"ab"cd` is `abcd`."""
    size, cells = len(body), []
    while True:
        if at < size and body[at] == QUOTE:
            search = at + 1
            while True:
                closing = body.find(b'"', search)
                if closing < 0:
                    return None, 0, 0
                if closing + 1 < size and body[closing + 1] == QUOTE:  # an escaped quote
                    search = closing + 2
                    continue
                break
            opening, at = at, closing + 1
            cell = body[opening + 1 : closing].replace(b'""', b'"')
            if not _ends_cell(body, at, lf_mode):
                if _LINE_BREAK.search(body, opening, closing):
                    return None, 0, 0  # most likely an opening quote that never closed
                # `"ab"cd` on one line: read as `abcd`, as pyarrow's parser does
                found = _CELL_END.search(body, at)
                end = found.start() if found else size
                cell, at = cell + body[at:end], end
        else:
            found = _CELL_END.search(body, at)
            end = found.start() if found else size
            cell, at = body[at:end], end
        if not _ends_cell(body, at, lf_mode):
            return None, 0, 0  # a bare carriage return
        cells.append(cell)
        if at >= size:
            return cells, size, size
        if body[at] == COMMA:
            at += 1
            continue
        end = at
        if body[at] == CARRIAGE_RETURN and lf_mode and at + 1 < size:
            at += 1  # the LF of a CRLF
        return cells, end, at + 1


def _tolerant_records(body: bytes) -> Iterator[tuple[int, int, int, list[bytes] | None]]:
    """(first line, start, end, cells) of every non-blank record. Line breaks are LF or CRLF,
    or CR alone in a file without any LF (old Mac). A record that cannot be split into cells
    is its first physical line alone (cells None); the next record starts on the next line, so
    one unterminated quote does not swallow the rest of the file."""
    lf_mode = b"\n" in body
    line_break = b"\n" if lf_mode else b"\r"
    size, at, line = len(body), 0, 1
    while at < size:
        start = at
        cells, end, at = _split_record(body, start, lf_mode)
        if cells is None:
            found = body.find(line_break, start)
            end, at = (size, size) if found < 0 else (found, found + 1)
            if lf_mode and end > start and body[end - 1] == CARRIAGE_RETURN:
                end -= 1
        first_line, line = line, line + body.count(line_break, start, at)
        if end > start or cells is None or len(cells) > 1:
            yield first_line, start, end, cells


def _decoded(raw: bytes) -> tuple[str, bool]:
    """Text of a record, and whether it was valid UTF-8."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), False


def _parse_csv_tolerantly(body: bytes) -> ParsedCsv:
    """The slow path of `parse_csv_records`: Python, record by record. A record that cannot be
    split into cells, has the wrong number of cells or is not valid UTF-8 is malformed."""
    records = iter(_tolerant_records(body))
    first = next(records, None)
    if first is None:
        return ParsedCsv(
            "", _empty_csv_table(), _texts_table(np.zeros(0, np.int64), pa.array([], pa.string()))
        )
    _, start, end, header_cells = first
    header, decodable = _decoded(body[start:end])
    if header_cells is None or not decodable:
        raise UnreadableFile(f"CSV header cannot be read: {header[:200]!r}", kind="csv_header")
    names = [cell.decode("utf-8") for cell in header_cells]
    present = _check_header(header, names)
    position = {name: names.index(name) for name in present}
    lines, texts, malformed = [], [], []
    values: dict[str, list] = {name: [] for name in CANONICAL_FIELDS}
    for line, start, end, cells in records:
        text, decodable = _decoded(body[start:end])
        bad = cells is None or not decodable or len(cells) != len(names)
        lines.append(line)
        texts.append(text)
        malformed.append(bad)
        for name in CANONICAL_FIELDS:
            cell = None if bad or name not in position else cells[position[name]]
            values[name].append(cell.decode("utf-8") or None if cell else None)
    is_malformed = np.array(malformed, dtype=bool)
    rows = pa.table(
        {
            "source_line": pa.array(lines, pa.int64()),
            "raw_record": pa.array(
                [text if bad else None for text, bad in zip(texts, malformed, strict=True)],
                pa.string(),
            ),
            "malformed": pa.array(is_malformed),
            **{name: pa.array(values[name], pa.string()) for name in CANONICAL_FIELDS},
        }
    )
    return ParsedCsv(
        header, rows, _texts_table(np.array(lines, np.int64), pa.array(texts, pa.string()))
    )


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
                null_values=[""],  # values as sent: "NA", "null", "NaN"… are not missing
            ),
        )
    except pa.ArrowInvalid as error:
        raise _NeedsTolerantParse from error
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

    def renders_in_duckdb(self) -> bool:
        """Whether DuckDB can read every stored column (`parquet_raw_sql`); otherwise the raw
        texts are rendered in Python (`raw_texts_at`)."""
        return all(_duckdb_reads(column.type) for column in self.stored.schema)

    def raw_texts_at(self, lines: np.ndarray) -> pa.Table:
        """source_line and raw_record (the row as JSON) of the stored rows at `lines`."""
        rows = self.stored.take(pa.array(lines - 1)).to_pylist(maps_as_pydicts="lossy")
        return pa.table(
            {
                "source_line": pa.array(lines, pa.int64()),
                "raw_record": pa.array([_json_text(row, lossy=True)[0] for row in rows]),
            }
        )


_DUCKDB_NESTED = (pa.types.is_struct, pa.types.is_list, pa.types.is_large_list, pa.types.is_map)
_DUCKDB_FLAT = (
    pa.types.is_integer,
    pa.types.is_float32,
    pa.types.is_float64,
    pa.types.is_boolean,
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_binary,
    pa.types.is_large_binary,
    pa.types.is_date,
    pa.types.is_timestamp,
    pa.types.is_decimal,
    pa.types.is_null,
)


def _duckdb_reads(data_type: pa.DataType) -> bool:
    if any(test(data_type) for test in _DUCKDB_FLAT):
        return True
    if pa.types.is_dictionary(data_type):
        return _duckdb_reads(data_type.value_type)
    if any(test(data_type) for test in _DUCKDB_NESTED):
        return all(_duckdb_reads(data_type.field(i).type) for i in range(data_type.num_fields))
    return False


def parquet_rows(data: bytes) -> ParsedParquet:
    """Read a Parquet file's bytes. A canonical column of another physical type is still read:
    nested values (a STRUCT, LIST or MAP) become JSON text for validation to judge, and a row
    holding a binary value that is not UTF-8 is malformed. Only a file pyarrow cannot read at
    all is unreadable."""
    try:
        stored = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        raise UnreadableFile(f"Parquet could not be read: {error}", kind="parquet") from error
    rows = stored.num_rows
    malformed = np.zeros(rows, dtype=bool)
    columns = {
        "source_line": pa.array(np.arange(1, rows + 1, dtype=np.int64)),
        "raw_record": pa.nulls(rows, pa.string()),
    }
    for name in CANONICAL_FIELDS:
        if name not in stored.column_names:
            columns[name] = pa.nulls(rows, pa.string())
            continue
        columns[name], unreadable = _as_text(stored.column(name))
        malformed |= unreadable
    columns["malformed"] = pa.array(malformed)
    return ParsedParquet(pa.table(columns), stored)


def _as_text(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray | pa.Array, np.ndarray]:
    """A column as text, and which of its values could not be (not UTF-8). Text and numbers
    are cast by pyarrow; other types (nested, or binary with a value that is not UTF-8) are
    rendered value by value, which only files of that odd kind pay for."""
    try:
        return pc.cast(column, pa.string()), np.zeros(len(column), dtype=bool)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        pass
    texts, unreadable = [], []
    for value in column.to_pylist(maps_as_pydicts="lossy"):
        text, readable = _json_text(value) if isinstance(value, dict | list) else _text(value)
        texts.append(text)
        unreadable.append(not readable)
    return pa.array(texts, pa.string()), np.array(unreadable, dtype=bool)


def _text(value) -> tuple[str | None, bool]:
    if value is None or isinstance(value, str):
        return value, True
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), True
        except UnicodeDecodeError:
            return None, False
    return str(value), True


def _json_scalar(value, lossy: bool = False):
    if isinstance(value, bytes):
        # strict: UnicodeDecodeError makes the value unreadable
        return value.decode("utf-8", errors="replace" if lossy else "strict")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _json_text(value, lossy: bool = False) -> tuple[str | None, bool]:
    """A nested value (or a whole row) as compact JSON; (None, False) if it holds bytes that
    are not UTF-8, unless `lossy` (raw text for the quarantine: bad bytes become U+FFFD)."""
    try:
        text = json.dumps(
            value,
            separators=(",", ":"),
            ensure_ascii=False,
            default=lambda item: _json_scalar(item, lossy),
        )
    except (UnicodeDecodeError, ValueError, TypeError):
        return None, False
    return text, True


# The raw text of Parquet rows (`ParsedParquet.rows_at`, registered under the name given): each
# row rendered as a JSON object.
def parquet_raw_sql(view: str) -> str:
    return f"""
SELECT source_line,
    to_json(struct_pack(*COLUMNS(* EXCLUDE (source_line))))::VARCHAR AS raw_record
FROM {view}"""
