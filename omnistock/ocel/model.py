"""The object-centric log as DuckDB tables: what export builds, what import loads.

One schema holds one log (export: `ocel_export` in a private in-memory database; import:
`ocel_<name>` in the warehouse):

| table | one row per | columns |
|---|---|---|
| event_types | event type | event_type, table_name, attributes (JSON list of {name, type}) |
| object_types | object type | object_type, table_name, attributes (JSON list of {name, type}) |
| events | event | event_id, event_type, occurred_at (UTC), ocel_time (as written), source_order, attributes (JSON object) |
| objects | object | object_id, object_type, ocel_time, attributes (JSON: the initial values) |
| object_changes | attribute change | object_id, object_type, changed_at, ocel_time, changed_field, attributes (JSON), source_order |
| event_objects | event-to-object relation | event_id, object_id, qualifier, source_order |
| object_objects | object-to-object relation | source_object_id, target_object_id, qualifier, source_order |

`source_order` is the row's position in its source: an event's position in its `event_<type>`
table (SQLite) or in the `events` array (JSON); for the export, the order of the log.
OCEL attribute types are string, integer, float, boolean and time.
"""

from __future__ import annotations

import re

import duckdb

MODEL_DDL: dict[str, str] = {
    "event_types": "event_type VARCHAR, table_name VARCHAR, attributes JSON",
    "object_types": "object_type VARCHAR, table_name VARCHAR, attributes JSON",
    "events": "event_id VARCHAR, event_type VARCHAR, occurred_at TIMESTAMP, ocel_time VARCHAR, "
    "source_order BIGINT, attributes JSON",
    "objects": "object_id VARCHAR, object_type VARCHAR, ocel_time VARCHAR, attributes JSON",
    "object_changes": "object_id VARCHAR, object_type VARCHAR, changed_at TIMESTAMP, "
    "ocel_time VARCHAR, changed_field VARCHAR, attributes JSON, source_order BIGINT",
    "event_objects": "event_id VARCHAR, object_id VARCHAR, qualifier VARCHAR, source_order BIGINT",
    "object_objects": "source_object_id VARCHAR, target_object_id VARCHAR, qualifier VARCHAR, "
    "source_order BIGINT",
}

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def checked_schema(schema: str) -> str:
    """A schema name safe to put in SQL (ours or sanitized: lower-case letters, digits, _)."""
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    return schema


def create_model(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """(Re)create the empty model tables in `schema` (dropping what was there)."""
    schema = checked_schema(schema)
    con.execute(f"drop schema if exists {schema} cascade")
    con.execute(f"create schema {schema}")
    for table, columns in MODEL_DDL.items():
        con.execute(f"create table {schema}.{table} ({columns})")


def utc_timestamp_sql(text: str) -> str:
    """SQL for ISO-8601 text -> UTC TIMESTAMP: an offset or Z is applied, a time without one is
    taken as UTC (as pm4py does), unparseable text gives NULL. `text` is an SQL expression."""
    return (
        f"(case when regexp_matches({text}, "
        r"'\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$') "
        f"then try_cast({text} as timestamptz) at time zone 'UTC' "
        f"else try_cast({text} as timestamp) end)"
    )


def attribute_types_sql(long_values: str, type_column: str) -> str:
    """SQL giving (<type_column>, name, type, first_seen) from a relation of (<type_column>,
    name, value JSON, position): integer if every value is an integer, float if every value
    is a number, boolean, time if every value is text that parses as a timestamp, else
    string; first_seen orders the attributes as they first appear."""
    parsed = utc_timestamp_sql("json_extract_string(value, '$')")
    return f"""
        select
            {type_column},
            name,
            case
                when bool_and(json_type(value) in ('BIGINT', 'UBIGINT')) then 'integer'
                when bool_and(json_type(value) in ('BIGINT', 'UBIGINT', 'DOUBLE')) then 'float'
                when bool_and(json_type(value) = 'BOOLEAN') then 'boolean'
                when bool_and(json_type(value) = 'VARCHAR' and {parsed} is not null) then 'time'
                else 'string'
            end as type,
            min(position) as first_seen
        from {long_values}
        where value is not null and json_type(value) <> 'NULL'
        group by {type_column}, name
    """


def table_names(types: list[str]) -> dict[str, str]:
    """Type name -> the suffix of its event_/object_ table: letters, digits and _ only, and
    unique without regard to case (SQLite table names are case-insensitive)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for type_name in types:
        base = re.sub(r"[^A-Za-z0-9_]+", "_", type_name).strip("_") or "type"
        candidate, suffix = base, 2
        while candidate.casefold() in used:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        used.add(candidate.casefold())
        names[type_name] = candidate
    return names


def describe_types(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Fill event_types and object_types from the events, objects and changes in `schema`:
    each type's attributes, in order of first appearance, with their inferred OCEL type."""
    schema = checked_schema(schema)
    # position: where an attribute first shows up (row order, then key order in the row)
    event_values = f"""(
        select event_type, key as name, value, (source_order, id) as position
        from {schema}.events, json_each(attributes)
    )"""
    object_values = f"""(
        select object_type, key as name, value, (part, source_order, id) as position
        from (
            select object_type, attributes, 0 as part, 0 as source_order from {schema}.objects
            union all
            select object_type, attributes, 1, source_order from {schema}.object_changes
        ), json_each(attributes)
    )"""
    for kind, values, table in (
        ("event", event_values, "events"),
        ("object", object_values, "objects"),
    ):
        type_column = f"{kind}_type"
        types = [
            row[0]
            for row in con.execute(
                f"select distinct {type_column} from {schema}.{table} order by 1"
            ).fetchall()
        ]
        names = table_names(types)
        con.execute(f"delete from {schema}.{kind}_types")
        con.executemany(
            f"insert into {schema}.{kind}_types values (?, ?, '[]')",
            [[type_name, names[type_name]] for type_name in types],
        )
        con.execute(
            f"""
            update {schema}.{kind}_types as types
            set attributes = described.attributes
            from (
                select {type_column},
                    to_json(list({{'name': name, 'type': type}} order by first_seen, name))
                        as attributes
                from ({attribute_types_sql(values, type_column)})
                group by {type_column}
            ) as described
            where types.{type_column} = described.{type_column}
            """
        )
