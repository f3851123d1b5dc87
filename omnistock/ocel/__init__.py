"""OCEL 2.0 interop (plain Python + DuckDB, no Dagster; docs/ocel.md).

- `export_ocel(warehouse, out)`: the event store as an OCEL 2.0 SQLite or JSON log.
- `import_ocel(con, path, case_type, name)`: a foreign OCEL 2.0 log into schema ocel_<name>,
  with its process map, stalled cases and case timelines as views (process.py).
"""

from omnistock.ocel.export import ExportReport, export_ocel
from omnistock.ocel.importer import ImportReport, import_ocel
from omnistock.ocel.process import (
    case_timeline,
    configure,
    describe_log,
    ocdfg_event_couples,
    process_map,
    schema_for,
    stalled_cases,
)

__all__ = [
    "ExportReport",
    "ImportReport",
    "case_timeline",
    "configure",
    "describe_log",
    "export_ocel",
    "import_ocel",
    "ocdfg_event_couples",
    "process_map",
    "schema_for",
    "stalled_cases",
]
