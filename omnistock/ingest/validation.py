"""Record validation as one set-based SQL statement over the normalized relation.

`check_records` appends the judged records to the session table `ingest_checked`: each record
with its quarantine reason (the first that applies, in the order of docs/architecture.md) or,
when it passes, its typed canonical values. Duplicates are decided later, per
batch, against the store (see `store.py`).

The per-event-type rules of SPEC 4.1 (`rules.EVENT_RULES`) are compiled into the CASE chain as
constant IN-lists, so validation is a single projection over the records; a source adapter's
own reason (`adapter_reason`) comes right after `malformed_record`. The accepted time
window (config `get_timestamp_window`, relative to the time of the run) is bound once per
session into the one-row table `ingest_timestamp_bounds`, which the statement joins.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from omnistock.config import get_timestamp_window
from omnistock.ingest.adapters import source_systems
from omnistock.ingest.db import literal, scalar
from omnistock.ingest.readers import ADAPTER_REASON, SourceRelation
from omnistock.ingest.rules import (
    CANONICAL_FIELDS,
    CHANNELS,
    EMIT_TOLERANCE_MINUTES,
    ENVELOPE_FIELDS,
    EVENT_ID_PATTERN,
    EVENT_RULES,
    STORED_TYPES,
    SUPPORTED_SCHEMA_VERSIONS,
    TYPED_FIELDS,
)

CHECKED_TABLE = "ingest_checked"
BOUNDS_TABLE = "ingest_timestamp_bounds"

# Where the record came from and its outcome, then its canonical values as they are stored.
CHECKED_COLUMNS = ", ".join(
    f"{name} {column_type}"
    for name, column_type in {
        "file_seq": "BIGINT",
        "source_file": "VARCHAR",
        "source_folder": "VARCHAR",
        "source_line": "BIGINT",
        "raw_record": "VARCHAR",
        "reason": "VARCHAR",
        **STORED_TYPES,
    }.items()
)

# ISO-8601 with an offset or Z (a space instead of T is tolerated, as RFC 3339 allows); real
# offsets lie within ±14:00, anything beyond (DuckDB would accept +24:00) is refused here. The
# TIMESTAMPTZ cast then rejects impossible dates; epoch_us makes the UTC value independent of
# the session time zone.
ISO_TIMESTAMP = (
    "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
    "([Zz]|[+-](0[0-9]|1[0-3])(:?[0-5][0-9])?|[+-]14(:?00)?)"
)
CONTENT_SEPARATOR = "chr(31)"  # ASCII unit separator between hashed values


def _literal_list(values) -> str:
    return ", ".join(literal(value) for value in values)


def _event_type_in(event_types) -> str:
    event_types = list(event_types)
    return f"event_type IN ({_literal_list(event_types)})" if event_types else "false"


def _utc(column: str) -> str:
    return (
        f"CASE WHEN regexp_full_match({column}, {literal(ISO_TIMESTAMP)}) "
        f"THEN make_timestamp(epoch_us(try_cast(replace({column}, ',', '.') AS TIMESTAMPTZ))) END"
    )


def _required_attribute_keys() -> list[str]:
    """Attribute keys in the order the rules list them (each rule's own order is kept)."""
    keys: list[str] = []
    for rule in EVENT_RULES.values():
        keys.extend(key for key in rule.attribute_keys if key not in keys)
    return keys


def _quantity_ok_sql() -> str:
    def types_with(quantity_rule: str) -> str:
        return _event_type_in(t for t, r in EVENT_RULES.items() if r.quantity_rule == quantity_rule)

    return (
        f"CASE WHEN {types_with('nonzero')} THEN quantity_value <> 0"
        f" WHEN {types_with('non_negative')} THEN quantity_value >= 0"
        " ELSE quantity_value > 0 END"
    )


def _reason_code_allowed_sql() -> str:
    whens = " ".join(
        f"WHEN {literal(event_type)} THEN reason_code IN ({_literal_list(rule.reason_codes)})"
        for event_type, rule in EVENT_RULES.items()
        if rule.reason_codes
    )
    return f"CASE event_type {whens} ELSE true END"


def _reason_sql() -> str:
    """The CASE chain giving each record its first failing rule (architecture: validation
    order)."""
    envelope = [f"WHEN {name} IS NULL THEN 'missing_field:{name}'" for name in ENVELOPE_FIELDS]
    required = [
        f"WHEN {name} IS NULL AND "
        f"{_event_type_in(t for t, r in EVENT_RULES.items() if name in r.required)} "
        f"THEN 'missing_field:{name}'"
        for name in TYPED_FIELDS
    ]
    attributes = [
        f"WHEN {_event_type_in(t for t, r in EVENT_RULES.items() if key in r.attribute_keys)} "
        f"AND json_extract_string(attributes_json, {literal('$.' + key)}) IS NULL "
        f"THEN 'missing_field:attributes.{key}'"
        for key in _required_attribute_keys()
    ]
    whens = [
        "WHEN malformed OR attributes_json IS NULL THEN 'malformed_record'",
        f"WHEN {ADAPTER_REASON} IS NOT NULL THEN {ADAPTER_REASON}",
        *envelope,
        f"WHEN schema_version NOT IN ({_literal_list(SUPPORTED_SCHEMA_VERSIONS)}) "
        "THEN 'unsupported_schema_version'",
        f"WHEN NOT regexp_full_match(event_id, {literal(EVENT_ID_PATTERN)}) "
        "THEN 'invalid_value:event_id'",
        f"WHEN NOT {_event_type_in(EVENT_RULES)} THEN 'unknown_event_type'",
        f"WHEN source_system NOT IN ({_literal_list(source_systems())}) "
        "THEN 'invalid_value:source_system'",
        *required,
        *attributes,
        "WHEN occurred_utc IS NULL OR emitted_utc IS NULL "
        "OR NOT (occurred_utc BETWEEN earliest AND latest) "
        "OR NOT (emitted_utc BETWEEN earliest AND latest) THEN 'invalid_timestamp'",
        f"WHEN quantity IS NOT NULL AND NOT coalesce({_quantity_ok_sql()}, false) "
        "THEN 'invalid_quantity'",
        f"WHEN channel NOT IN ({_literal_list(CHANNELS)}) THEN 'invalid_value:channel'",
        f"WHEN NOT {_reason_code_allowed_sql()} THEN 'invalid_value:reason_code'",
        f"WHEN emitted_utc < occurred_utc - INTERVAL {EMIT_TOLERANCE_MINUTES} MINUTE "
        "THEN 'emitted_before_occurred'",
        "WHEN location_id NOT IN (SELECT location_id FROM raw.locations) "
        "OR to_location_id NOT IN (SELECT location_id FROM raw.locations) "
        "THEN 'unknown_location'",
        "WHEN sku NOT IN (SELECT sku FROM raw.skus) THEN 'unknown_sku'",
    ]
    return "CASE\n        " + "\n        ".join(whens) + "\n    END"


# The canonical content a content hash covers, as `ingest_checked` and the event store name it:
# every field but the event's identity and the schema version it was sent in.
HASHED_CONTENT = tuple(
    name for name in CANONICAL_FIELDS if name not in ("event_id", "schema_version")
)


# JSON node types (json_tree) that are numbers: compared by value, whatever their spelling.
JSON_NUMBER_TYPES = ("UBIGINT", "BIGINT", "HUGEINT", "DOUBLE")


def canonical_json_sql(column: str) -> str:
    """SQL giving a JSON text in which the JSON value in `column` is the same whatever the order
    of its object keys, at any depth: its nodes (json_tree) as a sorted list of
    (path, kind, value). Strings compare unescaped; numbers compare by value, so 1, 1.0 and 1e0
    are the same (the JSON grammar has one number type, and the models read attributes as
    numbers): an integral double below 2^63 in magnitude is written as that integer, other
    doubles as DuckDB's shortest round-trip text, integers as sent. Array order counts.

    A correlated subquery per value: modest cost, meant for the few contested records."""
    number = f"n.type IN ({_literal_list(JSON_NUMBER_TYPES)})"
    double = "n.atom::DOUBLE"
    value = (
        "CASE n.type WHEN 'VARCHAR' THEN n.atom ->> '$' "
        f"WHEN 'DOUBLE' THEN CASE WHEN {double} = trunc({double}) AND abs({double}) < 9.2e18 "
        f"THEN {double}::BIGINT::VARCHAR ELSE {double}::VARCHAR END "
        "ELSE n.atom::VARCHAR END"
    )
    node = (
        f"struct_pack(path := n.fullkey, kind := CASE WHEN {number} THEN 'NUMBER' ELSE n.type END,"
        f" value := {value})"
    )
    return (
        f"(SELECT to_json(list(node ORDER BY node))::VARCHAR "
        f"FROM (SELECT {node} AS node FROM json_tree({column}) n))"
    )


def content_hash_sql(table: str | None = None) -> str:
    """md5 over the canonical content after upcast and normalization, so schema_version and the
    record's spelling (format, whitespace, offset, the key order and number spelling of
    `attributes`: see `canonical_json_sql`) do not change it, for a row of `ingest_checked` or
    of the event store (`table`: an alias to qualify the columns with).

    The event store keeps no hash column: the hash is a function of what it stores, and it is
    only needed for the few records whose event_id is contested, so it is computed for those
    alone. Hashes are only compared between records with the same event_id, so the top 63 bits
    of the digest are plenty (and a BIGINT is cheap to keep in the duplicate log)."""
    prefix = f"{table}." if table else ""

    def canonical(name: str) -> str:
        if name.endswith("_at"):
            return f"epoch_us({prefix}{name})"
        if name == "attributes":
            return canonical_json_sql(f"{prefix}{name}")
        return f"{prefix}{name}"

    content = f"concat({f', {CONTENT_SEPARATOR}, '.join(map(canonical, HASHED_CONTENT))})"
    return f"(md5_number({content}) >> 65)::BIGINT"


def check_sql(normalized: str) -> str:
    """INSERT judging every record of the normalized relation `normalized` (a SELECT)."""
    present = ",\n        ".join(f"nullif({name}, '') AS {name}" for name in CANONICAL_FIELDS)
    return f"""
INSERT INTO {CHECKED_TABLE}
WITH normalized AS ({normalized}),
present AS (
    SELECT file_seq, source_file, source_folder, source_line, raw_record, malformed,
        {ADAPTER_REASON}, {present}
    FROM normalized
),
typed AS (
    SELECT *,
        {_utc("occurred_at")} AS occurred_utc,
        {_utc("emitted_at")} AS emitted_utc,
        CASE WHEN regexp_full_match(quantity, '[+-]?[0-9]+')
            THEN try_cast(quantity AS BIGINT) END AS quantity_value,
        -- canonical attributes: the object minified (key order kept); NULL if not an object
        CASE WHEN attributes IS NULL OR attributes = 'null' THEN '{{}}'
            WHEN starts_with(attributes_minified, '{{') THEN attributes_minified
        END AS attributes_json
    -- json_valid guards try(): an unguarded try() turns a vector with one bad value into
    -- row-at-a-time evaluation.
    FROM (
        SELECT *, CASE WHEN json_valid(attributes) THEN try(json(attributes))::VARCHAR END
            AS attributes_minified
        FROM present
    )
),
judged AS (
    SELECT *, {_reason_sql()} AS reason FROM typed CROSS JOIN {BOUNDS_TABLE}
)
SELECT file_seq, source_file, source_folder, source_line,
    -- the raw text is only needed in quarantine (Batch.fill_raw_records brings it back for the
    -- few valid records that turn out to be duplicate conflicts)
    CASE WHEN reason IS NOT NULL THEN raw_record END, reason,
    event_id, schema_version, event_type, source_system,
    occurred_utc, emitted_utc, case_id, location_id, to_location_id, sku, quantity_value,
    channel, reason_code, attributes_json
FROM judged"""


def utc_now() -> datetime:
    """Timestamps in the raw tables are UTC without time zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def prepare_session(con: duckdb.DuckDBPyConnection, ingested_at: datetime | None = None) -> None:
    """Give this connection an empty `ingest_checked` and the accepted timestamp window for a
    run at `ingested_at` (default: now), both temp tables private to it. The window is read
    from the environment here, once per run, and bound as parameters."""
    earliest, latest = get_timestamp_window().bounds(
        utc_now() if ingested_at is None else ingested_at
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {BOUNDS_TABLE} AS "
        "SELECT ?::TIMESTAMP AS earliest, ?::TIMESTAMP AS latest",
        [earliest, latest],
    )
    clear_checked(con)


def clear_checked(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHECKED_TABLE} ({CHECKED_COLUMNS})")


def check_records(con: duckdb.DuckDBPyConnection, source: SourceRelation) -> int:
    """Judge every record of `source` (a batch of files, or quarantined records) into
    `ingest_checked` (after `prepare_session`); returns the number of records. One statement: if it fails, nothing of
    the source is left behind."""
    with source.registered(con):
        return scalar(con, check_sql(source.sql), source.params)
