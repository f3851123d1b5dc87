"""Source adapters: a source whose records have their own shape is mapped to the canonical
event by one module of this package (a `SourceAdapter`), registered here by name.

Adapters map JSON records: JSONL files, and quarantined JSONL and Parquet records on replay
(rendered as JSON). CSV and Parquet files are read by their canonical column names. See
docs/extending.md, "Add a source adapter".

The registry is read when SQL is built (per batch), so what is registered before a run
applies to all of it: the landing folders read (`source_systems`), the JSON shape and
field mapping (`readers.json_records_sql`) and the quarantine reasons.
"""

from __future__ import annotations

from omnistock.config import SOURCE_SYSTEMS
from omnistock.ingest.adapters import wms_v2
from omnistock.ingest.adapters.base import JSON, TEXT, SourceAdapter
from omnistock.ingest.rules import CANONICAL_FIELDS, QUARANTINE_REASONS

_REGISTRY: dict[str, SourceAdapter] = {}


def register(adapter: SourceAdapter) -> SourceAdapter:
    """Add `adapter` after those registered before; ValueError if its name, its source folder
    or a key of its shape (read with another type) is taken."""
    if adapter.name in _REGISTRY:
        raise ValueError(f"an adapter named {adapter.name!r} is already registered")
    if adapter.source_system in source_systems():
        raise ValueError(f"{adapter.source_system!r} is already a source system")
    shape = json_shape()
    clashes = sorted(key for key, kind in adapter.shape.items() if shape.get(key, kind) != kind)
    if clashes:
        raise ValueError(f"adapter {adapter.name} reads {', '.join(clashes)} with another type")
    _REGISTRY[adapter.name] = adapter
    return adapter


def unregister(name: str) -> None:
    del _REGISTRY[name]


def registered() -> tuple[SourceAdapter, ...]:
    """The adapters in the order they were registered (the order they select records in)."""
    return tuple(_REGISTRY.values())


def source_systems() -> tuple[str, ...]:
    """The source folders ingestion reads: contract §1's, then those adapters bring."""
    brought = (adapter.source_system for adapter in _REGISTRY.values())
    return (*SOURCE_SYSTEMS, *(name for name in brought if name))


def quarantine_reasons() -> tuple[str, ...]:
    """Every record quarantine reason in the order they are judged: the adapters' own come
    right after `malformed_record`."""
    malformed, *canonical = QUARANTINE_REASONS
    own = (reason for adapter in _REGISTRY.values() for reason in adapter.reason_names)
    return (malformed, *own, *canonical)


def json_shape() -> dict[str, object]:
    """The struct every JSON record is parsed into: the canonical fields (quantity and
    attributes as JSON, which keeps a quoted "5" apart from 5, and an object apart from a
    string holding one), then the keys the adapters read."""
    shape: dict[str, object] = {name: TEXT for name in CANONICAL_FIELDS}
    shape |= {"quantity": JSON, "attributes": JSON}
    for adapter in _REGISTRY.values():
        shape |= adapter.shape
    return shape


register(wms_v2.ADAPTER)

__all__ = [
    "JSON",
    "TEXT",
    "SourceAdapter",
    "json_shape",
    "quarantine_reasons",
    "register",
    "registered",
    "source_systems",
    "unregister",
]
