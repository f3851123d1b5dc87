"""Landing files: events become records, a few go bad, and each source writes its day file.

Every source writes one file per UTC day of `emitted_at` (`<landing>/<source>/<date>.<ext>`),
records in delivery order (by `emitted_at`, so POS and marketplace batches stay together).
Bad records are *extra* copies of good events, each with exactly one problem, so the good
world stays complete and the expected quarantine reason is unambiguous.
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from .vocab import (
    CANONICAL_FIELDS,
    ENVELOPE_FIELDS,
    NON_NEGATIVE_QUANTITY,
    REQUIRED_ATTRIBUTES,
    REQUIRED_FIELDS,
    SIGNED_QUANTITY,
    SOURCE_FORMATS,
    SOURCE_UTC_OFFSET_MINUTES,
)
from .world import HOUR, MINUTE, World, stream_rng

# Records carry bookkeeping columns that are never written: `_folder` (the source folder, even
# if a bad record garbles source_system), `_order`/`_seq`/`_copy` (delivery position), `_shape`
# (1 or 2, the schema version's layout), `_corrupt` (a line-level defect), `_occurred`/`_emitted`.


def write_atomically(path: Path, data: bytes) -> None:
    """Write `name.tmp`, then rename: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


# Columns with few distinct values: dictionary-encoded. Ids, times and attributes are nearly
# unique, where a dictionary only costs time.
DICTIONARY_COLUMNS = (
    "schema_version",
    "event_type",
    "source_system",
    "location_id",
    "to_location_id",
    "sku",
    "channel",
    "reason_code",
)


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(
        frame.to_arrow(),
        buffer,
        compression="zstd",
        write_statistics=False,
        use_dictionary=[name for name in frame.columns if name in DICTIONARY_COLUMNS],
    )
    return buffer.getvalue()


def write_parquet_atomically(path: Path, frame: pl.DataFrame) -> None:
    write_atomically(path, parquet_bytes(frame))


def _offset_suffix(minutes: int) -> str:
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def format_timestamp(seconds: int, source: str, pattern: str = "%Y-%m-%dT%H:%M:%S") -> str:
    """One timestamp as the source writes it (UTC `Z`, or local time with its offset)."""
    minutes = SOURCE_UTC_OFFSET_MINUTES.get(source, 0)
    moment = datetime.fromtimestamp(seconds, UTC).astimezone(timezone(timedelta(minutes=minutes)))
    return moment.strftime(pattern) + _offset_suffix(minutes)


def _timestamp_expr(column: str) -> pl.Expr:
    offset = pl.col("source_system").replace_strict(
        SOURCE_UTC_OFFSET_MINUTES, default=0, return_dtype=pl.Int64
    )
    suffix = pl.col("source_system").replace_strict(
        {s: _offset_suffix(m) for s, m in SOURCE_UTC_OFFSET_MINUTES.items()},
        default="Z",
        return_dtype=pl.String,
    )
    local = pl.from_epoch(pl.col(column) + offset * 60, time_unit="s")
    return pl.concat_str([local.dt.strftime("%Y-%m-%dT%H:%M:%S"), suffix])


def to_records(world: World, events: pl.DataFrame, day: int) -> pl.DataFrame:
    """Events -> records of strings as landed, plus hidden bookkeeping columns."""
    config = world.config
    locations = dict(enumerate(world.location_ids.tolist()))
    skus = dict(enumerate(world.sku_ids.tolist()))
    version_2 = (pl.col("source_system") == config.schema_v2_source) & (
        day >= config.schema_v2_from_day
    )
    return events.select(
        pl.col("event_id"),
        pl.when(version_2).then(pl.lit("2")).otherwise(pl.lit("1")).alias("schema_version"),
        pl.col("event_type"),
        pl.col("source_system"),
        _timestamp_expr("occurred").alias("occurred_at"),
        _timestamp_expr("emitted").alias("emitted_at"),
        pl.col("case_id"),
        pl.col("location")
        .replace_strict(locations, default=None, return_dtype=pl.String)
        .alias("location_id"),
        pl.col("to_location")
        .replace_strict(locations, default=None, return_dtype=pl.String)
        .alias("to_location_id"),
        pl.col("sku").replace_strict(skus, default=None, return_dtype=pl.String),
        pl.col("quantity").cast(pl.String),
        pl.col("channel"),
        pl.col("reason_code"),
        pl.col("attributes"),
        pl.col("source_system").alias("_folder"),
        pl.col("emitted").alias("_order"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_seq"),
        pl.lit(0, dtype=pl.Int64).alias("_copy"),
        pl.when(version_2).then(2).otherwise(1).cast(pl.Int8).alias("_shape"),
        pl.lit(None, dtype=pl.String).alias("_corrupt"),
        pl.col("occurred").alias("_occurred"),
        pl.col("emitted").alias("_emitted"),
    )


# --- serialization -------------------------------------------------------------------------


def _json_string(key: str, column: str) -> pl.Expr:
    """`"key":"value"`, or null when the value is null (concat_str propagates nulls)."""
    return pl.concat_str([pl.lit(f'"{key}":"'), pl.col(column), pl.lit('"')])


def _json_quantity(key: str) -> pl.Expr:
    value = pl.col("quantity")
    text = (
        pl.when(value.str.contains(r"^-?\d+$"))
        .then(value)
        .otherwise(pl.concat_str([pl.lit('"'), value, pl.lit('"')]))
    )
    return pl.concat_str([pl.lit(f'"{key}":'), text])


def render_jsonl(records: pl.DataFrame) -> pl.Series:
    """One JSON object per record; version 2 renames location_id to site_id and nests
    sku/quantity as item {sku, qty} (SPEC 4.3). Null fields are left out."""
    shapes = set(records["_shape"].unique())
    v1 = pl.col("_shape") == 1
    if shapes == {1}:
        layout = [
            _json_string("location_id", "location_id"),
            _json_string("to_location_id", "to_location_id"),
            _json_string("sku", "sku"),
            _json_quantity("quantity"),
        ]
    else:
        item = pl.concat_str(
            [_json_string("sku", "sku"), _json_quantity("qty")], separator=",", ignore_nulls=True
        )
        nested = pl.when(item != "").then(pl.concat_str([pl.lit('"item":{'), item, pl.lit("}")]))
        layout = [
            pl.when(v1)
            .then(_json_string("location_id", "location_id"))
            .otherwise(_json_string("site_id", "location_id")),
            _json_string("to_location_id", "to_location_id"),
            pl.when(v1).then(_json_string("sku", "sku")),
            pl.when(v1).then(_json_quantity("quantity")).otherwise(nested),
        ]
    parts = [
        *[_json_string(name, name) for name in ENVELOPE_FIELDS],
        *layout,
        _json_string("channel", "channel"),
        _json_string("reason_code", "reason_code"),
        pl.concat_str([pl.lit('"attributes":'), pl.col("attributes")]),
    ]
    line = pl.concat_str(
        [pl.lit("{"), pl.concat_str(parts, separator=",", ignore_nulls=True), pl.lit("}")]
    )
    half = pl.col("_line").str.slice(0, pl.col("_line").str.len_chars() // 2)
    return _corrupt_lines(records, records.select(line)[:, 0], "truncate", half)


def render_csv(records: pl.DataFrame) -> pl.Series:
    """CSV rows of the canonical fields; only `attributes` needs quoting (ids, codes and
    timestamps never contain commas or quotes). A corrupt row loses its last cell."""
    cells = [pl.col(name).fill_null("") for name in CANONICAL_FIELDS[:-1]]
    attributes = pl.concat_str(
        [pl.lit('"'), pl.col("attributes").str.replace_all('"', '""', literal=True), pl.lit('"')]
    ).fill_null("")
    lines = records.select(pl.concat_str([*cells, attributes], separator=","))[:, 0]
    return _corrupt_lines(records, lines, "drop_cell", pl.concat_str(cells, separator=","))


def _corrupt_lines(records: pl.DataFrame, lines: pl.Series, defect: str, broken: pl.Expr):
    """Re-render the few records marked with a line-level defect (`broken` may use the good
    line as `_line`): a JSON line cut in half, a CSV row without its last cell."""
    marked = records.with_columns(_line=lines, _row=pl.int_range(pl.len(), dtype=pl.UInt32)).filter(
        pl.col("_corrupt") == defect
    )
    if marked.height == 0:
        return lines
    return lines.scatter(marked["_row"], marked.select(broken)[:, 0])


def render_file(records: pl.DataFrame, file_format: str) -> bytes:
    records = records.sort("_order", "_seq", "_copy")
    if file_format == "parquet":
        columns = [
            pl.col(n).cast(pl.Int64) if n == "quantity" else pl.col(n) for n in CANONICAL_FIELDS
        ]
        return parquet_bytes(records.select(columns))
    lines = render_jsonl(records) if file_format == "jsonl" else render_csv(records)
    header = ",".join(CANONICAL_FIELDS) + "\n" if file_format == "csv" else ""
    return (header + lines.str.join("\n").item() + "\n").encode()


# --- bad records ---------------------------------------------------------------------------


@dataclass
class Corruption:
    """Helpers shared by the bad-record kinds: a random stream and the world's id shapes."""

    rng: np.random.Generator
    world: World
    serial: int

    def fresh_id(self, row: dict) -> None:
        row["event_id"] = f"{row['event_id']}.x{self.serial}"

    def pick(self, options):
        return options[int(self.rng.integers(0, len(options)))]


# Each kind below turns a copy of a good record into a bad one with exactly one problem and
# returns the quarantine reason the validation order of docs/architecture.md must give it.


def _truncated_json(row, c):
    c.fresh_id(row)
    row["_corrupt"] = "truncate"
    return "malformed_record"


def _csv_missing_cell(row, c):
    c.fresh_id(row)
    row["_corrupt"] = "drop_cell"
    return "malformed_record"


def _attributes_not_object(row, c):
    c.fresh_id(row)
    row["attributes"] = '["unexpected"]'
    return "malformed_record"


def _missing_envelope_field(row, c):
    field = c.pick(ENVELOPE_FIELDS)
    if field != "event_id":
        c.fresh_id(row)
    row[field] = None
    return f"missing_field:{field}"


def _missing_required_field(row, c):
    c.fresh_id(row)
    field = c.pick(REQUIRED_FIELDS[row["event_type"]])
    row[field] = None
    return f"missing_field:{field}"


def _missing_required_attribute(row, c):
    c.fresh_id(row)
    key = c.pick(REQUIRED_ATTRIBUTES[row["event_type"]])
    attributes = json.loads(row["attributes"])
    attributes.pop(key)
    row["attributes"] = json.dumps(attributes, separators=(",", ":"))
    return f"missing_field:attributes.{key}"


def _unsupported_schema_version(row, c):
    c.fresh_id(row)
    row["schema_version"] = "3"
    return "unsupported_schema_version"


def _invalid_event_id(row, c):
    row["event_id"] = f"{row['event_id']} #{c.serial}"
    return "invalid_value:event_id"


def _unknown_event_type(row, c):
    c.fresh_id(row)
    row["event_type"] = c.pick(["stock_moved", "order_shipped", "sale_voided"])
    return "unknown_event_type"


def _invalid_source_system(row, c):
    c.fresh_id(row)
    row["source_system"] = f"{row['source_system']}_legacy"
    return "invalid_value:source_system"


def _invalid_timestamp(row, c):
    c.fresh_id(row)
    field = c.pick(["occurred_at", "emitted_at"])
    moment = datetime.fromtimestamp(row["_" + field.removesuffix("_at")], UTC)
    row[field] = moment.strftime(
        c.pick(["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"])
    )
    return "invalid_timestamp"


def _invalid_quantity(row, c):
    c.fresh_id(row)
    event_type = row["event_type"]
    if event_type in SIGNED_QUANTITY:
        options = ["0"]
    elif event_type in NON_NEGATIVE_QUANTITY:
        options = ["-3"]
    else:
        options = ["0", "-2"]
    if SOURCE_FORMATS[row["_folder"]] != "parquet":
        options.append("abc")
    row["quantity"] = c.pick(options)
    return "invalid_quantity"


def _invalid_channel(row, c):
    c.fresh_id(row)
    row["channel"] = c.pick(["phone", "catalogue", "fax"])
    return "invalid_value:channel"


def _invalid_reason_code(row, c):
    c.fresh_id(row)
    row["reason_code"] = c.pick(["theft", "network_glitch", "changed_mind", "lost"])
    return "invalid_value:reason_code"


def _emitted_before_occurred(row, c):
    c.fresh_id(row)
    emitted = row["_occurred"] - int(c.rng.integers(HOUR, 6 * HOUR))
    row["emitted_at"] = format_timestamp(emitted, row["source_system"])
    return "emitted_before_occurred"


def _unknown_location(row, c):
    c.fresh_id(row)
    world = c.world
    if row["location_id"].startswith("DC"):
        row["location_id"] = f"DC{world.n_dcs + 10 + c.serial % 80:02d}"
    else:
        width = len(world.location_ids[0]) - 1
        row["location_id"] = f"S{world.n_stores + 100 + c.serial % 800:0{width}d}"
    return "unknown_location"


def _unknown_sku(row, c):
    c.fresh_id(row)
    row["sku"] = f"SKU{c.world.n_skus + 1000 + c.serial % 5000:05d}"
    return "unknown_sku"


def _duplicate_conflict(row, c):
    row["quantity"] = str(int(row["quantity"]) + 1)
    row["_order"] += int(c.rng.integers(10 * MINUTE, 6 * HOUR))
    return "duplicate_conflict"


def _kind_masks(records: pl.DataFrame) -> dict:
    """Which records each kind of corruption can apply to (so it has exactly one effect)."""
    event_type = pl.col("event_type")
    requires = {
        field: [t for t, required in REQUIRED_FIELDS.items() if field in required]
        for field in ("quantity", "channel", "reason_code")
    }
    positive = [t for t in requires["quantity"] if t not in SIGNED_QUANTITY | NON_NEGATIVE_QUANTITY]
    has_required = [t for t, required in REQUIRED_FIELDS.items() if required]
    everything = pl.lit(True)
    conditions = {
        _truncated_json: pl.col("_folder").replace_strict(SOURCE_FORMATS) == "jsonl",
        _csv_missing_cell: pl.col("_folder").replace_strict(SOURCE_FORMATS) == "csv",
        _attributes_not_object: pl.col("attributes").is_not_null(),
        _missing_envelope_field: everything,
        _missing_required_field: event_type.is_in(has_required),
        _missing_required_attribute: event_type.is_in(list(REQUIRED_ATTRIBUTES)),
        _unsupported_schema_version: everything,
        _invalid_event_id: everything,
        _unknown_event_type: everything,
        _invalid_source_system: everything,
        _invalid_timestamp: everything,
        _invalid_quantity: event_type.is_in(requires["quantity"]),
        _invalid_channel: event_type.is_in(requires["channel"]),
        _invalid_reason_code: event_type.is_in(requires["reason_code"]),
        _emitted_before_occurred: everything,
        _unknown_location: pl.col("location_id").is_not_null(),
        _unknown_sku: pl.col("sku").is_not_null(),
        _duplicate_conflict: event_type.is_in(positive),
    }
    masks = records.select(
        [condition.alias(str(i)) for i, condition in enumerate(conditions.values())]
    )
    return {kind: np.flatnonzero(masks[str(i)].to_numpy()) for i, kind in enumerate(conditions)}


class BadRecordPlanter:
    """Adds bad records and exact re-deliveries to each day's records and counts them.

    Kinds are assigned round-robin over the run, so even a tiny scenario holds every kind.
    """

    def __init__(self, world: World):
        self.world = world
        self.planted = 0
        self.by_reason: Counter[str] = Counter()
        self.exact_duplicates = 0

    def plant(self, records: pl.DataFrame, day: int) -> pl.DataFrame:
        """The day's records plus its bad copies and exact re-deliveries."""
        config = self.world.config
        if records.height == 0:
            return records
        rng = stream_rng(config.seed, day, "bad_records")
        masks = _kind_masks(records)
        kinds = list(masks)
        bad_count = round(config.bad_record_rate * records.height)
        planned = []  # (kind, serial, source row)
        for i in range(bad_count):
            kind = kinds[(self.planted + i) % len(kinds)]
            if len(masks[kind]):
                planned.append((kind, self.planted + i, int(rng.choice(masks[kind]))))
        self.planted += bad_count
        duplicates = round(config.duplicate_rate * records.height)
        if config.duplicate_rate > 0:
            duplicates = max(1, duplicates)
        repeated = rng.choice(records.height, duplicates).tolist()
        self.exact_duplicates += duplicates

        rows = records[[row for *_, row in planned] + repeated].to_dicts()
        for (kind, serial, _), row in zip(planned, rows, strict=False):
            self.by_reason[kind(row, Corruption(rng, self.world, serial))] += 1
        for row in rows[len(planned) :]:
            row["_order"] += int(rng.integers(30 * MINUTE, 8 * HOUR))
        for copy, row in enumerate(rows, start=1):
            row["_copy"] = copy
        if not rows:
            return records
        return pl.concat([records, pl.DataFrame(rows, schema=records.schema, orient="row")])


def write_source_files(out_dir: Path, records: pl.DataFrame, stem: str) -> list[Path]:
    """One file `<source>/<stem>.<ext>` per source folder; returns the paths written."""
    written = []
    parts = records.partition_by("_folder", as_dict=True, maintain_order=True)
    for (folder,), part in parts.items():
        file_format = SOURCE_FORMATS[folder]
        path = out_dir / folder / f"{stem}.{file_format}"
        write_atomically(path, render_file(part, file_format))
        written.append(path)
    return written
