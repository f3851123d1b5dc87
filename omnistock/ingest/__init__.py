"""Omnistock's ingestion engine: landed files → the DuckDB event store (plain Python, no Dagster).

Entry points: `ensure_schema`, `load_reference`, `scan_landing`, `discover_files`,
`ingest_files`, `replay_quarantine`, and the check helpers `accounting_violations`,
`duplicate_event_ids`, `manifest_entries`, `quarantine_rate_by_source`, `store_totals`. See
docs/architecture.md for the tables and the manifest's vocabulary. Sources whose records have
their own shape are mapped by the source adapters of `omnistock.ingest.adapters`.
"""

from omnistock.ingest.checks import (
    accounting_violations,
    duplicate_event_ids,
    manifest_entries,
    quarantine_rate_by_source,
    store_totals,
)
from omnistock.ingest.engine import ingest_files
from omnistock.ingest.landing import (
    IGNORED_RULES,
    UNKNOWN_REASONS,
    EventFile,
    LandingEntry,
    LandingFile,
    LandingScan,
    discover_files,
    landing_file,
    scan_landing,
)
from omnistock.ingest.manifest import FILE_QUARANTINE_REASONS, MANIFEST_STATUSES, REFUSAL_KINDS
from omnistock.ingest.readers import UnreadableFile
from omnistock.ingest.reference import ReferenceDataError, load_reference
from omnistock.ingest.replay import ReplayReport, replay_quarantine
from omnistock.ingest.report import AccountingError, FileReport, IngestFailed, IngestReport
from omnistock.ingest.rules import QUARANTINE_REASONS
from omnistock.ingest.schema import ensure_schema

__all__ = [
    "FILE_QUARANTINE_REASONS",
    "IGNORED_RULES",
    "MANIFEST_STATUSES",
    "QUARANTINE_REASONS",
    "REFUSAL_KINDS",
    "UNKNOWN_REASONS",
    "AccountingError",
    "EventFile",
    "FileReport",
    "IngestFailed",
    "IngestReport",
    "LandingEntry",
    "LandingFile",
    "LandingScan",
    "ReferenceDataError",
    "ReplayReport",
    "UnreadableFile",
    "accounting_violations",
    "discover_files",
    "duplicate_event_ids",
    "ensure_schema",
    "ingest_files",
    "landing_file",
    "load_reference",
    "manifest_entries",
    "quarantine_rate_by_source",
    "replay_quarantine",
    "scan_landing",
    "store_totals",
]
