"""OCEL 2.0 interop: export the event store, import foreign object-centric logs (plain Python +
DuckDB, no Dagster). See docs/ocel.md."""
