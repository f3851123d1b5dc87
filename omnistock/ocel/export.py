"""The event store as an OCEL 2.0 log (SQLite or JSON); the mapping is in mapping.py and
docs/ocel.md.

Everything is built with DuckDB SQL in a private in-memory database that attaches the
warehouse read-only; only the final rows pass through Python on their way to the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from omnistock.ocel import mapping
from omnistock.ocel.formats import write_json, write_sqlite
from omnistock.ocel.model import create_model, describe_types

SCHEMA = "ocel_export"
FORMATS = {".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite", ".json": "json"}


@dataclass(frozen=True)
class ExportReport:
    path: Path
    format: str
    events: int
    objects: int
    event_objects: int
    object_objects: int
    objects_by_type: dict[str, int]

    def describe(self) -> str:
        types = ", ".join(f"{name} {count}" for name, count in self.objects_by_type.items())
        return (
            f"OCEL 2.0 {self.format} written to {self.path}: {self.events} events, "
            f"{self.objects} objects ({types}), {self.event_objects} event-object and "
            f"{self.object_objects} object-object relations"
        )


def format_of(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unknown OCEL format for {path}: use .sqlite or .json")
    return FORMATS[suffix]


def export_ocel(warehouse: Path | str, out: Path | str) -> ExportReport:
    """Write the warehouse's event store to `out` as OCEL 2.0 (format from the suffix:
    .sqlite or .json). The file appears complete or not at all."""
    out = Path(out)
    file_format = format_of(out)
    if not Path(warehouse).exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}")
    with duckdb.connect() as con:
        con.execute("attach ? as warehouse (read_only)", [str(warehouse)])
        build_export_model(con)
        out.parent.mkdir(parents=True, exist_ok=True)
        (write_sqlite if file_format == "sqlite" else write_json)(con, SCHEMA, out)
        counts = dict(
            con.execute(
                f"select object_type, count(*) from {SCHEMA}.objects group by 1 order by 1"
            ).fetchall()
        )
        return ExportReport(
            path=out,
            format=file_format,
            events=_count(con, "events"),
            objects=sum(counts.values()),
            event_objects=_count(con, "event_objects"),
            object_objects=_count(con, "object_objects"),
            objects_by_type=counts,
        )


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {SCHEMA}.{table}").fetchone()[0]


def _load_mapping(con: duckdb.DuckDBPyConnection) -> None:
    """The mapping tables of mapping.py, in the export schema."""
    tables = {
        "map_event_catalog": (
            "event_type VARCHAR, workflow VARCHAR, activity_rank INTEGER, location_qualifier VARCHAR",
            [
                (name, workflow, rank, mapping.LOCATION_QUALIFIERS.get(name, "location"))
                for name, (workflow, rank) in mapping.EVENT_CATALOG.items()
            ],
        ),
        "map_case_workflows": (
            "workflow VARCHAR, header_type VARCHAR, line_type VARCHAR",
            [(name, w.header_type, w.line_type) for name, w in mapping.CASE_WORKFLOWS.items()],
        ),
        "map_object_relations": (
            "source_type VARCHAR, target_type VARCHAR, target_qualifier VARCHAR, qualifier VARCHAR",
            list(mapping.OBJECT_RELATIONS),
        ),
        "map_reservation_events": (
            "event_type VARCHAR",
            [(name,) for name in mapping.RESERVATION_EVENTS],
        ),
        "map_event_fields": (
            "name VARCHAR, type VARCHAR, position INTEGER",
            [(name, kind, i) for i, (name, kind) in enumerate(mapping.EVENT_FIELDS)],
        ),
    }
    for table, (columns, rows) in tables.items():
        con.execute(f"create table {SCHEMA}.{table} ({columns})")
        con.executemany(
            f"insert into {SCHEMA}.{table} values ({', '.join('?' for _ in rows[0])})", rows
        )


def build_export_model(con: duckdb.DuckDBPyConnection) -> None:
    """Fill schema ocel_export from `warehouse.raw` (attached on `con`)."""
    create_model(con, SCHEMA)
    _load_mapping(con)
    duplicates = con.execute(
        "select count(*) - count(distinct event_id) from warehouse.raw.inventory_events"
    ).fetchone()[0]
    if duplicates:
        raise ValueError(f"raw.inventory_events holds {duplicates} duplicate event_id(s)")
    s = SCHEMA
    con.execute(
        f"""
        create temp table source_events as
        select
            raw.*,
            catalog.workflow,
            catalog.location_qualifier,
            -- the order of the log: by time, the workflow's normal order, then id (as dbt's
            -- int_event_log orders a case)
            row_number() over (
                order by raw.occurred_at, coalesce(catalog.activity_rank, 0), raw.event_id
            ) as source_order
        from warehouse.raw.inventory_events as raw
        left join {s}.map_event_catalog as catalog using (event_type)
        """
    )
    _build_events(con)
    _build_event_objects(con)
    _build_objects(con)
    con.execute(
        f"""
        insert into {s}.object_objects
        select source_object_id, target_object_id, qualifier,
            row_number() over (order by source_object_id, qualifier, target_object_id)
        from (
            select distinct
                source.object_id as source_object_id,
                target.object_id as target_object_id,
                rules.qualifier
            from {s}.event_objects as source
            inner join {s}.objects as source_object on source_object.object_id = source.object_id
            inner join {s}.event_objects as target
                on target.event_id = source.event_id and target.object_id <> source.object_id
            inner join {s}.objects as target_object on target_object.object_id = target.object_id
            inner join {s}.map_object_relations as rules
                on rules.source_type = source_object.object_type
                and rules.target_type = target_object.object_type
                and coalesce(rules.target_qualifier, target.qualifier) = target.qualifier
        )
        """
    )
    describe_types(con, s)
    con.execute("drop table source_events")


def _build_events(con: duckdb.DuckDBPyConnection) -> None:
    """Events with their attributes: the canonical fields of mapping.EVENT_FIELDS, then the
    keys of the JSON `attributes` (renamed "attributes.<key>" if they collide)."""
    s = SCHEMA
    fields = [name for name, _ in mapping.EVENT_FIELDS]
    as_json = ", ".join(
        f"to_json(strftime({name}, '%Y-%m-%dT%H:%M:%S.%fZ')) as {name}"
        if kind == "time"
        else f"to_json({name}) as {name}"
        for name, kind in mapping.EVENT_FIELDS
    )
    con.execute(
        f"""
        insert into {s}.events
        with field_values as (
            unpivot (select event_id, {as_json} from source_events)
            on {", ".join(fields)} into name name value value
        ),
        json_values as (
            select
                source_events.event_id,
                case when fields.name is null then entry.key else 'attributes.' || entry.key end
                    as name,
                entry.value,
                100 + entry.id as position
            from source_events, json_each(source_events.attributes) as entry
            left join {s}.map_event_fields as fields on fields.name = entry.key
        ),
        attribute_values as (
            select field_values.event_id, field_values.name, field_values.value, fields.position
            from field_values inner join {s}.map_event_fields as fields using (name)
            union all
            select * from json_values
        ),
        attributes as (
            select event_id,
                to_json(map_from_entries(list((name, value) order by position))) as attributes
            from attribute_values
            group by event_id
        )
        select
            source_events.event_id,
            source_events.event_type,
            source_events.occurred_at,
            null,
            source_events.source_order,
            coalesce(attributes.attributes, '{{}}')
        from source_events
        left join attributes using (event_id)
        """
    )


def _build_event_objects(con: duckdb.DuckDBPyConnection) -> None:
    s = SCHEMA
    con.execute(
        f"""
        insert into {s}.event_objects
        with workflow_events as (
            select source_events.*, workflows.header_type, workflows.line_type
            from source_events
            inner join {s}.map_case_workflows as workflows using (workflow)
        ),
        -- a case's lines: the skus its events name (SPEC 5.1: order, transfer and return
        -- cases are lines case_id|sku)
        case_lines as (
            select distinct workflow, case_id, sku from workflow_events
            where line_type is not null and sku is not null
        ),
        relations as (
            select event_id, header_type || ':' || case_id as object_id, header_type as qualifier
            from workflow_events

            union all
            -- an event naming a sku concerns its line; one naming none (transfer_approved,
            -- refund_issued) every line of its case
            select events.event_id, events.line_type || ':' || lines.case_id || '|' || lines.sku,
                'line'
            from workflow_events as events
            inner join case_lines as lines
                on lines.workflow = events.workflow
                and lines.case_id = events.case_id
                and (events.sku is null or lines.sku = events.sku)
            where events.line_type is not null

            union all
            select event_id, 'reservation:' || case_id || '|' || sku || '|' || location_id,
                'reservation'
            from source_events
            where event_type in (select event_type from {s}.map_reservation_events)
                and sku is not null and location_id is not null

            union all
            select event_id, 'sku:' || sku, 'sku' from source_events where sku is not null

            union all
            select event_id, 'location:' || location_id, coalesce(location_qualifier, 'location')
            from source_events where location_id is not null

            union all
            select event_id, 'location:' || to_location_id, 'to'
            from source_events where to_location_id is not null

            union all
            select event_id, 'integration:' || json_extract_string(attributes, '$.integration'),
                'integration'
            from source_events
            where event_type = 'api_call'
                and json_extract_string(attributes, '$.integration') is not null

            union all
            -- an ERP posting concerns the stock position of the event it posts
            select postings.event_id, 'sku:' || posted.sku, 'sku'
            from source_events as postings
            inner join source_events as posted
                on posted.event_id = json_extract_string(postings.attributes, '$.posted_event_id')
            where postings.event_type = 'erp_posted' and posted.sku is not null

            union all
            select postings.event_id, 'location:' || posted.location_id, 'location'
            from source_events as postings
            inner join source_events as posted
                on posted.event_id = json_extract_string(postings.attributes, '$.posted_event_id')
            where postings.event_type = 'erp_posted' and posted.location_id is not null

            union all
            -- every event comes from a source system: no event is without an object
            select event_id, 'source_system:' || source_system, 'source' from source_events
        )
        select distinct
            relations.event_id, relations.object_id, relations.qualifier,
            source_events.source_order
        from relations inner join source_events using (event_id)
        """
    )


def _build_objects(con: duckdb.DuckDBPyConnection) -> None:
    """The objects the events relate to, with their attributes: SKUs and locations from the
    reference data, orders and returns their channel, purchase orders their supplier and
    expected_at (a revision by po_acknowledged is an attribute change)."""
    s = SCHEMA
    con.execute(
        f"""
        insert into {s}.objects
        with related as (
            select distinct object_id, split_part(object_id, ':', 1) as object_type
            from {s}.event_objects
        ),
        skus as (
            select 'sku:' || sku as object_id,
                json_object('category', category, 'unit_cost', unit_cost,
                    'unit_price', unit_price, 'abc_class', abc_class) as attributes
            from warehouse.raw.skus
            qualify row_number() over (partition by sku) = 1
        ),
        locations as (
            select 'location:' || location_id,
                json_object('location_type', location_type, 'region', region, 'name', name)
            from warehouse.raw.locations
            qualify row_number() over (partition by location_id) = 1
        ),
        channels as (
            select workflows.header_type || ':' || events.case_id,
                json_object('channel', arg_min(events.channel, events.source_order))
            from source_events as events
            inner join {s}.map_case_workflows as workflows using (workflow)
            where events.channel is not null and workflows.header_type in ('order', 'return')
            group by all
        ),
        purchase_orders as (
            select 'purchase_order:' || case_id,
                json_object(
                    'supplier_id',
                    arg_min(json_extract_string(attributes, '$.supplier_id'), source_order)
                        filter (json_extract_string(attributes, '$.supplier_id') is not null),
                    'expected_at',
                    arg_min(json_extract_string(attributes, '$.expected_at'), source_order)
                        filter (json_extract_string(attributes, '$.expected_at') is not null)
                )
            from source_events
            where workflow = 'replenishment'
            group by case_id
        ),
        attributes as (
            select * from skus
            union all select * from locations
            union all select * from channels
            union all select * from purchase_orders
        )
        select related.object_id, related.object_type, null,
            coalesce(json_merge_patch('{{}}', attributes.attributes), '{{}}')
        from related left join attributes using (object_id)
        """
    )
    con.execute(
        f"""
        insert into {s}.object_changes
        with expected as (
            select case_id, occurred_at, source_order,
                json_extract_string(attributes, '$.expected_at') as expected_at
            from source_events
            where workflow = 'replenishment'
                and json_extract_string(attributes, '$.expected_at') is not null
        ),
        revisions as (
            select *, lag(expected_at) over (partition by case_id order by source_order) as before
            from expected
        )
        select 'purchase_order:' || case_id, 'purchase_order', occurred_at, null, 'expected_at',
            json_object('expected_at', expected_at), source_order
        from revisions
        where before is not null and expected_at <> before
        """
    )
