"""Omnistock's ingestion engine: landed files → the DuckDB event store (plain Python, no Dagster).

Entry points: `ensure_schema`, `load_reference`, `discover_files`, `ingest_files`,
`replay_quarantine`, and the check helpers `accounting_violations`, `duplicate_event_ids`,
`quarantine_rate_by_source`, `store_totals`. See docs/architecture.md for the tables.
"""

from omnistock.ingest.checks import (
    accounting_violations,
    duplicate_event_ids,
    quarantine_rate_by_source,
    store_totals,
)
from omnistock.ingest.engine import ingest_files
from omnistock.ingest.landing import LandingFile, discover_files, landing_file
from omnistock.ingest.readers import UnreadableFile
from omnistock.ingest.reference import ReferenceDataError, load_reference
from omnistock.ingest.replay import ReplayReport, replay_quarantine
from omnistock.ingest.report import AccountingError, FileReport, IngestFailed, IngestReport
from omnistock.ingest.rules import QUARANTINE_REASONS
from omnistock.ingest.schema import ensure_schema

__all__ = [
    "QUARANTINE_REASONS",
    "AccountingError",
    "FileReport",
    "IngestFailed",
    "IngestReport",
    "LandingFile",
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
    "quarantine_rate_by_source",
    "replay_quarantine",
    "store_totals",
]
