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

from omnistock.ocel.model import checked_schema, table_names, utc_timestamp_sql

BATCH_ROWS = 50_000
SQLITE_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "time": "TIMESTAMP",
}
# The time OCEL gives an object attribute's initial value (SQLite, JSON).
INITIAL_TIME = "1970-01-01 00:00:00"
INITIAL_TIME_JSON = "1970-01-01T00:00:00Z"


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
            columns.append(
                f"coalesce(strftime({utc_timestamp_sql(text)}, '{time_format}'), {text})"
            )
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
                coalesce(objects.ocel_time, '{INITIAL_TIME_JSON}') as time,
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
                    order by source_order, object_id, qualifier) as relationships
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
            described = [{"name": name, "attributes": attributes} for name, _, attributes in types]
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


# --- reading ---------------------------------------------------------------------------------

REQUIRED_SQLITE_TABLES = ("event", "object", "event_object", "event_map_type", "object_map_type")
OCEL_TYPES_OF_SQLITE = {"TEXT": "string", "INTEGER": "integer", "REAL": "float",
                        "BOOLEAN": "boolean", "TIMESTAMP": "time", "DATETIME": "time"}  # fmt: skip


def _identifier(value) -> str | None:
    """A value as text, ids the way pm4py reads them: 990001.0 and 990001 are both "990001"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _column(values: list) -> pa.Array:
    """An Arrow column of SQLite values; a column mixing types becomes text."""
    values = [value.hex() if isinstance(value, bytes) else value for value in values]
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_identifier(value) for value in values], pa.string())


def _attributes_struct(names: list[str], columns: list[list], rows: int) -> pa.Array:
    """The attribute columns as one struct column (an empty struct column if there are none)."""
    if not names:
        return pa.nulls(rows, pa.struct([]))
    return pa.StructArray.from_arrays([_column(values) for values in columns], names=names)


class SqliteLog:
    """An OCEL 2.0 SQLite file, opened read-only."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            self.tables = {name.casefold(): name for (name,) in rows}
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise ValueError(f"{path} is not an SQLite database: {error}") from error
        missing = [name for name in REQUIRED_SQLITE_TABLES if name not in self.tables]
        if missing:
            self.db.close()
            raise ValueError(f"{path} is not an OCEL 2.0 SQLite log: no table {', '.join(missing)}")

    def close(self) -> None:
        self.db.close()

    def table(self, name: str) -> str | None:
        return self.tables.get(name.casefold())

    def rows(self, table: str) -> tuple[list[str], list[tuple]]:
        cursor = self.db.execute(f"SELECT * FROM {quote(table)}")
        return [column[0] for column in cursor.description], cursor.fetchall()

    def declared_types(self, table: str) -> dict[str, str]:
        info = self.db.execute(f"PRAGMA table_info({quote(table)})").fetchall()
        return {row[1]: OCEL_TYPES_OF_SQLITE.get(str(row[2]).upper(), "string") for row in info}


def _insert_arrow(con: duckdb.DuckDBPyConnection, table: pa.Table, sql: str, params=None) -> None:
    """Run `sql` (which reads the relation `arrow_rows`) over an Arrow table."""
    con.register("arrow_rows", table)
    try:
        con.execute(sql, params or {})
    finally:
        con.unregister("arrow_rows")


def read_sqlite(con: duckdb.DuckDBPyConnection, schema: str, path: Path) -> list[str]:
    """Load an OCEL 2.0 SQLite file into the (empty) model in `schema`. Events and their times
    come from the per-type `event_<map>` tables (the `event` table may list fewer types);
    every column is kept. Returns warnings about what the file holds but the standard does
    not describe (tables of unmapped types), which are not loaded."""
    s = checked_schema(schema)
    log = SqliteLog(Path(path))
    try:
        event_map = log.db.execute(f"SELECT * FROM {quote(log.table('event_map_type'))}")
        event_map = [(str(t), str(m)) for t, m, *_ in event_map.fetchall()]
        object_map = log.db.execute(f"SELECT * FROM {quote(log.table('object_map_type'))}")
        object_map = [(str(t), str(m)) for t, m, *_ in object_map.fetchall()]
        warnings = _unmapped_tables(log, event_map, object_map)
        for event_type, suffix in event_map:
            _read_type_table(con, s, log, "event", event_type, suffix)
        for object_type, suffix in object_map:
            _read_type_table(con, s, log, "object", object_type, suffix)
        _read_catalogs(con, s, log)
    finally:
        log.close()
    return warnings


def _unmapped_tables(log: SqliteLog, event_map, object_map) -> list[str]:
    mapped = {f"event_{m}".casefold() for _, m in event_map}
    mapped |= {f"object_{m}".casefold() for _, m in object_map}
    standard = {name.casefold() for name in (*REQUIRED_SQLITE_TABLES, "object_object")}
    warnings = []
    for key, name in sorted(log.tables.items()):
        if key in mapped or key in standard or not key.startswith(("event_", "object_")):
            continue
        count = log.db.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]
        if count:
            warnings.append(f"table {name} ({count} rows) belongs to no mapped type: not loaded")
    return warnings


def _read_type_table(con, s: str, log: SqliteLog, kind: str, type_name: str, suffix: str) -> None:
    """One event_<map> or object_<map> table: its rows into the model, its columns into the
    type's declared attributes."""
    table = log.table(f"{kind}_{suffix}")
    reserved = {"ocel_id", "ocel_time", "ocel_changed_field"}
    declared = log.declared_types(table) if table else {}
    attributes = [{"name": n, "type": t} for n, t in declared.items() if n not in reserved]
    con.execute(
        f"insert into {s}.{kind}_types values (?, ?, ?)",
        [type_name, suffix, json.dumps(attributes)],
    )
    if table is None:
        return
    columns, rows = log.rows(table)
    position = {name: i for i, name in enumerate(columns)}

    def column(name: str) -> list:
        i = position.get(name)
        return [None] * len(rows) if i is None else [row[i] for row in rows]

    names = [a["name"] for a in attributes]
    arrow = pa.table(
        {
            "ocel_id": pa.array([_identifier(v) for v in column("ocel_id")], pa.string()),
            "ocel_time": pa.array([_identifier(v) for v in column("ocel_time")], pa.string()),
            "changed_field": pa.array(
                [_identifier(v) for v in column("ocel_changed_field")], pa.string()
            ),
            "source_order": pa.array(range(len(rows)), pa.int64()),
            "attributes": _attributes_struct(names, [column(n) for n in names], len(rows)),
        }
    )
    # attribute values as JSON, without the NULLs (json_merge_patch drops null members)
    attributes_json = "json_merge_patch('{}', to_json(attributes))" if names else "'{}'::json"
    timestamp = utc_timestamp_sql("ocel_time")
    if kind == "event":
        _insert_arrow(
            con,
            arrow,
            f"""insert into {s}.events
            select ocel_id, $type, {timestamp}, ocel_time, source_order, {attributes_json}
            from arrow_rows""",
            {"type": type_name},
        )
        return
    _insert_arrow(
        con,
        arrow,
        f"""create or replace temp table object_rows as
        select ocel_id as object_id, $type as object_type, ocel_time, changed_field,
            {attributes_json} as attributes, source_order,
            -- the initial values: the first row of the object without a changed field
            changed_field is null and row_number() over (
                partition by ocel_id, changed_field is null order by source_order
            ) = 1 as is_initial
        from arrow_rows""",
        {"type": type_name},
    )
    con.execute(
        f"""insert into {s}.objects
        select object_id, object_type, ocel_time, attributes from object_rows where is_initial"""
    )
    con.execute(
        f"""insert into {s}.object_changes
        select object_id, object_type, {utc_timestamp_sql("ocel_time")}, ocel_time,
            changed_field, attributes, source_order
        from object_rows where not is_initial"""
    )
    con.execute("drop table object_rows")


def _read_catalogs(con, s: str, log: SqliteLog) -> None:
    """The `event` and `object` tables (ids named there but in no per-type table are kept,
    without a time or attributes) and the event-object and object-object relations."""
    for kind, table, key in (("event", "events", "event_id"), ("object", "objects", "object_id")):
        _, rows = log.rows(log.table(kind))
        arrow = pa.table(
            {
                "ocel_id": pa.array([_identifier(row[0]) for row in rows], pa.string()),
                "ocel_type": pa.array([_identifier(row[1]) for row in rows], pa.string()),
            }
        )
        extra = "null, null, null, '{}'" if kind == "event" else "null, '{}'"
        _insert_arrow(
            con,
            arrow,
            f"""insert into {s}.{table}
            select distinct ocel_id, ocel_type, {extra} from arrow_rows
            where ocel_id not in (select {key} from {s}.{table})""",
        )
    for table, target in (("event_object", "event_objects"), ("object_object", "object_objects")):
        if log.table(table) is None:
            continue
        _, rows = log.rows(log.table(table))
        arrow = pa.table(
            {
                "source": pa.array([_identifier(row[0]) for row in rows], pa.string()),
                "target": pa.array([_identifier(row[1]) for row in rows], pa.string()),
                "qualifier": pa.array(
                    [_identifier(row[2]) if len(row) > 2 else None for row in rows], pa.string()
                ),
                "source_order": pa.array(range(len(rows)), pa.int64()),
            }
        )
        _insert_arrow(con, arrow, f"insert into {s}.{target} select * from arrow_rows")


def read_json(con: duckdb.DuckDBPyConnection, schema: str, path: Path) -> list[str]:
    """Load an OCEL 2.0 JSON file into the (empty) model in `schema`. An object attribute's
    first value (in file order) is its initial value, later ones are changes (as pm4py
    reads them)."""
    s = checked_schema(schema)
    relationship = "STRUCT(objectId VARCHAR, qualifier VARCHAR)[]"
    types = "STRUCT(name VARCHAR, attributes STRUCT(name VARCHAR, type VARCHAR)[])[]"
    columns = {
        "eventTypes": types,
        "objectTypes": types,
        "events": "STRUCT(id VARCHAR, type VARCHAR, time VARCHAR, "
        f"attributes STRUCT(name VARCHAR, value JSON)[], relationships {relationship})[]",
        "objects": "STRUCT(id VARCHAR, type VARCHAR, "
        "attributes STRUCT(name VARCHAR, time VARCHAR, value JSON)[], "
        f"relationships {relationship})[]",
    }
    try:
        con.execute(
            """create or replace temp table json_log as
            select * from read_json($path, columns = $columns, format = 'unstructured',
                maximum_object_size = $size)""",
            {"path": str(path), "columns": columns, "size": Path(path).stat().st_size + 1024},
        )
    except duckdb.Error as error:
        raise ValueError(f"{path} is not an OCEL 2.0 JSON log: {error}") from error
    for kind, key in (("event", "eventTypes"), ("object", "objectTypes")):
        declared = con.execute(f"select unnest({key}) from json_log").fetchall()
        names = table_names([row[0]["name"] for row in declared])
        con.executemany(
            f"insert into {s}.{kind}_types values (?, ?, ?)",
            [
                [row[0]["name"], names[row[0]["name"]], json.dumps(row[0]["attributes"] or [])]
                for row in declared
            ],
        )
    con.execute(
        """
        create or replace temp table json_events as
        select unnest(events) as event, generate_subscripts(events, 1) as position from json_log
        """
    )
    con.execute(
        f"""
        insert into {s}.events
        select event.id, event.type, {utc_timestamp_sql("event.time")}, event.time, position,
            coalesce(to_json(map_from_entries(list_transform(
                list_filter(event.attributes,
                    lambda a: a.value is not null and json_type(a.value) <> 'NULL'),
                lambda a: (a.name, a.value)
            ))), '{{}}')
        from json_events
        """
    )
    con.execute(
        f"""
        insert into {s}.event_objects
        select event.id, relation.objectId, relation.qualifier,
            row_number() over (order by position, relation_position)
        from (
            select event, position, unnest(event.relationships) as relation,
                generate_subscripts(event.relationships, 1) as relation_position
            from json_events
        )
        """
    )
    con.execute(
        """
        create or replace temp table json_objects as
        select unnest(objects) as object, generate_subscripts(objects, 1) as position from json_log
        """
    )
    con.execute(
        """
        create or replace temp table json_object_values as
        select object.id as object_id, object.type as object_type, value.name, value.time,
            value.value, position, value_position,
            row_number() over (partition by object.id, value.name order by value_position) = 1
                as is_initial
        from (
            select object, position, unnest(object.attributes) as value,
                generate_subscripts(object.attributes, 1) as value_position
            from json_objects
        )
        where value.value is not null and json_type(value.value) <> 'NULL'
        """
    )
    con.execute(
        f"""
        insert into {s}.objects
        select object.id, object.type, initial.ocel_time, coalesce(initial.attributes, '{{}}')
        from json_objects
        left join (
            select object_id, min(time) as ocel_time,
                to_json(map_from_entries(list((name, value) order by value_position)))
                    as attributes
            from json_object_values where is_initial group by object_id
        ) as initial on initial.object_id = object.id
        order by position
        """
    )
    con.execute(
        f"""
        insert into {s}.object_changes
        select object_id, object_type, {utc_timestamp_sql("time")}, time, name,
            json_object(name, value), row_number() over (order by position, value_position)
        from json_object_values where not is_initial
        """
    )
    con.execute(
        f"""
        insert into {s}.object_objects
        select object.id, relation.objectId, relation.qualifier,
            row_number() over (order by position, relation_position)
        from (
            select object, position, unnest(object.relationships) as relation,
                generate_subscripts(object.relationships, 1) as relation_position
            from json_objects
        )
        """
    )
    for table in ("json_log", "json_events", "json_objects", "json_object_values"):
        con.execute(f"drop table {table}")
    return []
