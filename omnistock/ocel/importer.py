"""Load an OCEL 2.0 log (SQLite or JSON) into its own schema of the warehouse, beside (never
into) the retail event store, with the process views of process.py on top."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from omnistock.ocel.formats import read_json, read_sqlite
from omnistock.ocel.model import create_model
from omnistock.ocel.process import DEFAULT_SLA_HOURS, configure, create_process_views, schema_for

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class ImportReport:
    name: str
    schema: str
    path: Path
    format: str
    case_type: str
    events: int
    objects: int
    event_objects: int
    object_objects: int
    object_changes: int
    events_by_type: dict[str, int]
    objects_by_type: dict[str, int]
    dangling_relations: int
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"Imported {self.path} ({self.format}) as log '{self.name}' into schema "
            f"{self.schema}: {self.events} events of {len(self.events_by_type)} types, "
            f"{self.objects} objects, {self.event_objects} event-object and "
            f"{self.object_objects} object-object relations, "
            f"{self.object_changes} attribute changes.",
            "Objects: " + ", ".join(f"{t} {n}" for t, n in self.objects_by_type.items()),
            f"Case: {self.case_type}",
        ]
        if self.dangling_relations:
            lines.append(
                f"{self.dangling_relations} event-object relations name an object the log "
                "does not list: kept, but outside the per-type process views."
            )
        lines.extend(f"warning: {warning}" for warning in self.warnings)
        return "\n".join(lines)


def file_format(path: Path) -> str:
    with path.open("rb") as head:
        return "sqlite" if head.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC else "json"


def import_ocel(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    case_type: str,
    name: str | None = None,
    *,
    sla_hours: float = DEFAULT_SLA_HOURS,
    terminal_activities: Iterable[str] = (),
    stage_sla_hours: Mapping[str, float] | None = None,
) -> ImportReport:
    """Load the OCEL 2.0 log at `path` into schema ocel_<name> (default name: the file's
    stem), replacing an earlier import of that name in one transaction. `case_type` is the
    object type whose objects are the cases of the process views."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no OCEL log at {path}")
    name = name or path.stem
    schema = schema_for(name)
    kind = file_format(path)
    con.execute("begin transaction")
    try:
        create_model(con, schema)
        warnings = (read_sqlite if kind == "sqlite" else read_json)(con, schema, path)
        create_process_views(con, schema)
        configure(
            con,
            name,
            case_type=case_type,
            sla_hours=sla_hours,
            terminal_activities=terminal_activities,
            stage_sla_hours=stage_sla_hours or {},
        )
        report = _report(con, name, schema, path, kind, case_type, warnings)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return report


def _report(con, name, schema, path, kind, case_type, warnings) -> ImportReport:
    def count(sql: str) -> int:
        return con.execute(sql).fetchone()[0]

    def by_type(table: str, column: str) -> dict[str, int]:
        return dict(
            con.execute(
                f"select {column}, count(*) from {schema}.{table} group by 1 order by 1"
            ).fetchall()
        )

    return ImportReport(
        name=name,
        schema=schema,
        path=path,
        format=kind,
        case_type=case_type,
        events=count(f"select count(*) from {schema}.events"),
        objects=count(f"select count(*) from {schema}.objects"),
        event_objects=count(f"select count(*) from {schema}.event_objects"),
        object_objects=count(f"select count(*) from {schema}.object_objects"),
        object_changes=count(f"select count(*) from {schema}.object_changes"),
        events_by_type=by_type("events", "event_type"),
        objects_by_type=by_type("objects", "object_type"),
        dangling_relations=count(
            f"""select count(*) from {schema}.event_objects
            where object_id not in (select object_id from {schema}.objects)"""
        ),
        warnings=warnings,
    )
