"""OCEL 2.0 files <-> the DuckDB model of model.py.

SQLite layout (OCEL 2.0 standard): `event(ocel_id, ocel_type)`, `object(ocel_id, ocel_type)`,
`event_object(ocel_event_id, ocel_object_id, ocel_qualifier)`, `object_object(ocel_source_id,
ocel_target_id, ocel_qualifier)`, `event_map_type` / `object_map_type(ocel_type,
ocel_type_map)`, one `event_<map>(ocel_id, ocel_time, <attributes>)` per event type and one
`object_<map>(ocel_id, ocel_time, ocel_changed_field, <attributes>)` per object type.
JSON layout (OCEL 2.0 standard): {"eventTypes", "objectTypes", "events", "objects"}.

SQLite is read with Python's sqlite3 (DuckDB's sqlite extension would be downloaded at run
time) and handed to DuckDB as Arrow; JSON is read by DuckDB itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from omnistock.ocel.model import checked_schema, utc_timestamp_sql

BATCH_ROWS = 50_000
SQLITE_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "time": "TIMESTAMP",
}
# The time OCEL uses for an object attribute's initial value.
INITIAL_TIME = "1970-01-01 00:00:00"


def quote(identifier: str) -> str:
    """An SQL identifier, double-quoted (SQLite and DuckDB)."""
    return '"' + identifier.replace('"', '""') + '"'


def json_path(name: str) -> str:
    """JSONPath of a top-level key, for a bound parameter."""
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed onto it on success, removed on failure."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _types(con: duckdb.DuckDBPyConnection, schema: str, kind: str) -> list[tuple[str, str, list]]:
    """(type, table suffix, [{name, type}]) of each event or object type."""
    rows = con.execute(
        f"select {kind}_type, table_name, attributes from {schema}.{kind}_types order by 1"
    ).fetchall()
    return [(name, table, json.loads(attributes or "[]")) for name, table, attributes in rows]


def _time_format(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    """Seconds, or microseconds if any time in the log has them (one format for a column)."""
    fractional = con.execute(
        f"""
        select bool_or(epoch_us(t) % 1000000 <> 0) from (
            select occurred_at as t from {schema}.events
            union all select changed_at from {schema}.object_changes
        )
        """
    ).fetchone()[0]
    return "%Y-%m-%d %H:%M:%S.%f" if fractional else "%Y-%m-%d %H:%M:%S"


def _attribute_columns(attributes: list[dict], time_format: str) -> tuple[str, dict[str, str]]:
    """SQL select-list entries (", a, b") for the attributes out of the `attributes` JSON
    column, as SQLite values, with their bound JSON paths ($path0, $path1, ...)."""
    columns, params = [], {}
    for position, attribute in enumerate(attributes):
        params[f"path{position}"] = json_path(attribute["name"])
        text = f"json_extract_string(attributes, $path{position})"
        kind = attribute["type"]
        if kind in ("integer", "float", "boolean"):
            sql_type = {"integer": "bigint", "float": "double", "boolean": "boolean"}[kind]
            columns.append(f"try_cast({text} as {sql_type})")
        elif kind == "time":
            columns.append(f"coalesce(strftime({utc_timestamp_sql(text)}, '{time_format}'), {text})")
        else:
            columns.append(text)
    return "".join(f", {column}" for column in columns), params


def _copy_rows(
    con: duckdb.DuckDBPyConnection,
    query: str,
    params: Sequence | dict,
    target: sqlite3.Connection,
    insert: str,
) -> None:
    result = con.execute(query, params)
    while rows := result.fetchmany(BATCH_ROWS):
        target.executemany(insert, rows)


def write_sqlite(con: duckdb.DuckDBPyConnection, schema: str, path: Path) -> None:
    """Write the log in `schema` to an OCEL 2.0 SQLite file at `path` (replaced atomically)."""
    s = checked_schema(schema)
    time_format = _time_format(con, s)
    event_types = _types(con, s, "event")
    object_types = _types(con, s, "object")
    with _replacing(Path(path)) as temporary:
        target = sqlite3.connect(temporary)
        try:
            target.executescript(
                """
                CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
                CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT);
                CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
                CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
                CREATE TABLE event_object (
                    ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT,
                    PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier),
                    FOREIGN KEY (ocel_event_id) REFERENCES event (ocel_id),
                    FOREIGN KEY (ocel_object_id) REFERENCES object (ocel_id));
                CREATE TABLE object_object (
                    ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT,
                    PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier),
                    FOREIGN KEY (ocel_source_id) REFERENCES object (ocel_id),
                    FOREIGN KEY (ocel_target_id) REFERENCES object (ocel_id));
                """
            )
            target.executemany(
                "INSERT INTO event_map_type VALUES (?, ?)", [t[:2] for t in event_types]
            )
            target.executemany(
                "INSERT INTO object_map_type VALUES (?, ?)", [t[:2] for t in object_types]
            )
            _copy_rows(
                con,
                f"select event_id, event_type from {s}.events order by source_order, event_id",
                [],
                target,
                "INSERT INTO event VALUES (?, ?)",
            )
            _copy_rows(
                con,
                f"select object_id, object_type from {s}.objects order by object_type, object_id",
                [],
                target,
                "INSERT INTO object VALUES (?, ?)",
            )
            _copy_rows(
                con,
                f"""select event_id, object_id, qualifier from {s}.event_objects
                order by source_order, event_id, object_id, qualifier""",
                [],
                target,
                "INSERT INTO event_object VALUES (?, ?, ?)",
            )
            _copy_rows(
                con,
                f"""select source_object_id, target_object_id, qualifier from {s}.object_objects
                order by source_order, source_object_id, target_object_id, qualifier""",
                [],
                target,
                "INSERT INTO object_object VALUES (?, ?, ?)",
            )
            for event_type, table, attributes in event_types:
                _write_event_table(con, s, target, event_type, table, attributes, time_format)
            for object_type, table, attributes in object_types:
                _write_object_table(con, s, target, object_type, table, attributes, time_format)
            target.commit()
        finally:
            target.close()


def _columns_ddl(attributes: list[dict]) -> str:
    return "".join(
        f", {quote(attribute['name'])} {SQLITE_TYPES.get(attribute['type'], 'TEXT')}"
        for attribute in attributes
    )


def _insert_sql(table: str, width: int) -> str:
    return f"INSERT INTO {quote(table)} VALUES ({', '.join('?' for _ in range(width))})"


def _write_event_table(con, s, target, event_type, table, attributes, time_format) -> None:
    name = f"event_{table}"
    target.execute(
        f"CREATE TABLE {quote(name)} (ocel_id TEXT PRIMARY KEY, "
        f"ocel_time TIMESTAMP{_columns_ddl(attributes)}, "
        "FOREIGN KEY (ocel_id) REFERENCES event (ocel_id))"
    )
    columns, params = _attribute_columns(attributes, time_format)
    query = f"""
        select event_id, coalesce(strftime(occurred_at, '{time_format}'), ocel_time){columns}
        from {s}.events where event_type = $type order by source_order, event_id
    """
    _copy_rows(
        con, query, {**params, "type": event_type}, target, _insert_sql(name, len(attributes) + 2)
    )


def _write_object_table(con, s, target, object_type, table, attributes, time_format) -> None:
    name = f"object_{table}"
    target.execute(
        f"CREATE TABLE {quote(name)} (ocel_id TEXT, ocel_time TIMESTAMP, "
        f"ocel_changed_field TEXT{_columns_ddl(attributes)}, "
        "FOREIGN KEY (ocel_id) REFERENCES object (ocel_id))"
    )
    columns, params = _attribute_columns(attributes, time_format)
    # the initial values first (ocel_changed_field NULL), then the changes in time order
    query = f"""
        select object_id, ocel_time, changed_field{columns} from (
            select object_id, coalesce(ocel_time, '{INITIAL_TIME}') as ocel_time,
                null as changed_field, attributes, 0 as part, 0 as source_order
            from {s}.objects where object_type = $type
            union all
            select object_id, coalesce(strftime(changed_at, '{time_format}'), ocel_time),
                changed_field, attributes, 1, source_order
            from {s}.object_changes where object_type = $type
        )
        order by part, source_order, object_id
    """
    _copy_rows(
        con, query, {**params, "type": object_type}, target, _insert_sql(name, len(attributes) + 3)
    )


def _attribute_types_sql(s: str, kind: str) -> str:
    """(type, name, attribute type) rows of the event_types or object_types declarations."""
    return f"""
        select {kind}_type, declared.name, declared.type as attribute_type from (
            select {kind}_type, unnest(
                from_json(attributes, '[{{"name": "VARCHAR", "type": "VARCHAR"}}]')
            ) as declared
            from {s}.{kind}_types
        )
    """


def _json_value_sql(iso_format: str) -> str:
    """A long attribute value (columns value, attribute_type) as written to JSON: times as
    ISO-8601 UTC."""
    parsed = utc_timestamp_sql("json_extract_string(value, '$')")
    return f"""
        case when attribute_type = 'time' and {parsed} is not null
            then to_json(strftime({parsed}, '{iso_format}'))
            else value end
    """


def write_json(con: duckdb.DuckDBPyConnection, schema: str, path: Path) -> None:
    """Write the log in `schema` to an OCEL 2.0 JSON file at `path` (replaced atomically)."""
    s = checked_schema(schema)
    iso_format = _time_format(con, s).replace(" ", "T") + "Z"
    declarations = {
        "objectTypes": _types(con, s, "object"),
        "eventTypes": _types(con, s, "event"),
    }
    objects = f"""
        with attribute_types as ({_attribute_types_sql(s, "object")}),
        attribute_values as (
            select objects.object_id, objects.object_type, entry.key as name, entry.value,
                coalesce(objects.ocel_time, '1970-01-01T00:00:00Z') as time,
                0 as part, 0 as source_order, entry.id
            from {s}.objects as objects, json_each(objects.attributes) as entry
            union all
            select changes.object_id, changes.object_type, entry.key, entry.value,
                coalesce(strftime(changes.changed_at, '{iso_format}'), changes.ocel_time),
                1, changes.source_order, entry.id
            from {s}.object_changes as changes, json_each(changes.attributes) as entry
        ),
        attributes as (
            select object_id,
                list(json_object('name', name, 'time', time, 'value', {_json_value_sql(iso_format)})
                    order by part, source_order, id) as attributes
            from attribute_values
            left join attribute_types using (object_type, name)
            group by object_id
        ),
        relationships as (
            select source_object_id as object_id,
                list(json_object('objectId', target_object_id, 'qualifier', qualifier)
                    order by source_order, target_object_id, qualifier) as relationships
            from {s}.object_objects
            group by source_object_id
        )
        select json_object('id', object_id, 'type', object_type,
            'attributes', coalesce(attributes.attributes, []::json[]),
            'relationships', coalesce(relationships.relationships, []::json[]))
        from {s}.objects
        left join attributes using (object_id)
        left join relationships using (object_id)
        order by object_type, object_id
    """
    events = f"""
        with attribute_types as ({_attribute_types_sql(s, "event")}),
        attribute_values as (
            select events.event_id, events.event_type, entry.key as name, entry.value, entry.id
            from {s}.events as events, json_each(events.attributes) as entry
        ),
        attributes as (
            select event_id,
                list(json_object('name', name, 'value', {_json_value_sql(iso_format)})
                    order by id) as attributes
            from attribute_values
            left join attribute_types using (event_type, name)
            group by event_id
        ),
        relationships as (
            select event_id,
                list(json_object('objectId', object_id, 'qualifier', qualifier)
                    order by object_id, qualifier) as relationships
            from {s}.event_objects
            group by event_id
        )
        select json_object('id', event_id, 'type', event_type,
            'time', coalesce(strftime(occurred_at, '{iso_format}'), ocel_time),
            'attributes', coalesce(attributes.attributes, []::json[]),
            'relationships', coalesce(relationships.relationships, []::json[]))
        from {s}.events
        left join attributes using (event_id)
        left join relationships using (event_id)
        order by source_order, event_id
    """
    with _replacing(Path(path)) as temporary, temporary.open("w", encoding="utf-8") as out:
        out.write("{\n")
        for key, types in declarations.items():
            described = [
                {"name": name, "attributes": attributes} for name, _, attributes in types
            ]
            out.write(f"{json.dumps(key)}: {json.dumps(described)},\n")
        for position, (key, query) in enumerate((("objects", objects), ("events", events))):
            out.write(f"{json.dumps(key)}: [")
            result = con.execute(query)
            separator = "\n"
            while rows := result.fetchmany(BATCH_ROWS):
                for (row,) in rows:
                    out.write(separator + row)
                    separator = ",\n"
            out.write("\n]" + (",\n" if position == 0 else "\n"))
        out.write("}\n")
