"""docs/extending.md, "Add a source adapter", followed step by step on its toy kiosk source.

The mapping module and the landing file are read from the guide itself, so the guide cannot
drift from what works. Expected rows are worked out by hand from the five landed lines.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import LOCATIONS, rows, write_reference

from omnistock import ingest
from omnistock.ingest import adapters

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
INGESTED_AT = datetime(2026, 3, 2)
LANDED = "kiosk/2026-03-01.jsonl"


def guide_blocks(language: str) -> list[str]:
    """The fenced blocks of one language in the guide's "Add a source adapter" section."""
    text = GUIDE.read_text()
    section = text.split("## Add a source adapter", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```", section, flags=re.S | re.M)


@pytest.fixture
def kiosk(tmp_path):
    """Step 1: the guide's mapping module, written out and imported. Step 2: registered
    (and unregistered afterwards, so other tests see the built-in adapters only)."""
    [module_text] = [block for block in guide_blocks("python") if "SourceAdapter(" in block]
    path = tmp_path / "kiosk.py"
    path.write_text(module_text)
    spec = importlib.util.spec_from_file_location("kiosk_adapter", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module.ADAPTER
    if module.ADAPTER.name in {adapter.name for adapter in adapters.registered()}:
        adapters.unregister(module.ADAPTER.name)


@pytest.fixture
def landing(tmp_path):
    """Step 3: the guide's landing file in kiosk/, next to the ingestion tests' reference."""
    folder = tmp_path / "landing"
    write_reference(folder)
    [lines] = guide_blocks("jsonl")
    (folder / "kiosk").mkdir()
    (folder / LANDED).write_text(lines)
    return folder


def test_registering_the_adapter_makes_kiosk_a_source(kiosk, landing):
    before = ingest.scan_landing(landing)
    assert [(e.relative_path, e.status, e.reason) for e in before.entries] == [
        ("kiosk", "unknown", "not_a_source_folder"),
        ("reference/locations.csv", "ignored", "reference_data"),
        ("reference/skus.csv", "ignored", "reference_data"),
    ]

    adapters.register(kiosk)

    assert adapters.source_systems()[-1] == "kiosk"
    assert [f.relative_path for f in ingest.scan_landing(landing).event_files] == [LANDED]
    reasons = adapters.quarantine_reasons()
    assert reasons[:3] == ("malformed_record", "kiosk:unknown_kind", "kiosk:training_mode")
    assert set(reasons[3:]) == set(ingest.QUARANTINE_REASONS[1:])
    with pytest.raises(ValueError, match="already registered"):
        adapters.register(kiosk)


def test_kiosk_lines_are_stored_or_quarantined_and_replayed(kiosk, landing, tmp_path):
    adapters.register(kiosk)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest.load_reference(con, landing)

    report = ingest.ingest_files(con, landing, ingested_at=INGESTED_AT)

    [loaded] = report.files
    assert (loaded.path, loaded.status, loaded.records_read) == (LANDED, "loaded", 5)
    assert (loaded.records_stored, loaded.records_quarantined) == (2, 3)
    # lines 1-2: the kiosk's local times are UTC+1; channel is 'store', no attributes sent
    assert rows(
        con,
        "SELECT * EXCLUDE (ingested_at) FROM raw.inventory_events ORDER BY source_line",
    ) == [
        ("kiosk:K-1001", "1", "sale", "kiosk", datetime(2026, 3, 1, 9, 0, 0),
         datetime(2026, 3, 1, 9, 0, 5), "K-1001", "S001", None, "SKU1", 2, "store", None, "{}",
         LANDED, 1),
        ("kiosk:K-1002", "1", "return_initiated", "kiosk", datetime(2026, 3, 1, 10, 30, 0),
         datetime(2026, 3, 1, 10, 30, 2), "K-1002", "S002", None, "SKU2", 1, "store", None,
         "{}", LANDED, 2),
    ]  # fmt: skip
    # line 3: kind PRICE_CHECK; line 4: training mode; line 5: S003 is not a known location
    quarantine_sql = (
        "SELECT source_line, source_system, event_id, reason, replayed_at IS NOT NULL "
        "FROM raw.quarantined_events ORDER BY source_line"
    )
    assert rows(con, quarantine_sql) == [
        (3, "kiosk", "kiosk:K-1003", "kiosk:unknown_kind", False),
        (4, "kiosk", "kiosk:K-1004", "kiosk:training_mode", False),
        (5, "kiosk", "kiosk:K-1005", "unknown_location", False),
    ]
    landed_lines = (landing / LANDED).read_text().splitlines()
    assert [raw for (raw,) in rows(con, "SELECT raw_record FROM raw.quarantined_events")] == (
        landed_lines[2:]
    )

    # S003 opens: the replayed line goes through the adapter again and is stored
    write_reference(landing, locations=[*LOCATIONS, ("S003", "store", "east", "Store 3")])
    ingest.load_reference(con, landing)
    replayed = ingest.replay_quarantine(con, ingested_at=INGESTED_AT)
    assert (replayed.examined, replayed.stored, replayed.still_quarantined) == (3, 1, 2)
    assert rows(con, quarantine_sql)[2] == (5, "kiosk", "kiosk:K-1005", "unknown_location", True)
    assert rows(
        con,
        "SELECT event_id, event_type, occurred_at, location_id, sku, quantity, source_line "
        "FROM raw.inventory_events WHERE event_id = 'kiosk:K-1005'",
    ) == [("kiosk:K-1005", "sale", datetime(2026, 3, 1, 11, 20), "S003", "SKU2", 1, 5)]
    assert ingest.accounting_violations(con) == []
    con.close()


def test_an_adapter_is_refused_when_it_clashes_with_another():
    # wms_v2 parses `item` as an object: another adapter cannot read it as text
    clash = adapters.SourceAdapter("clash", "false", {}, shape={"item": adapters.TEXT})
    with pytest.raises(ValueError, match="reads item with another type"):
        adapters.register(clash)
    with pytest.raises(ValueError, match="already a source system"):
        adapters.register(adapters.SourceAdapter("pos_again", "false", {}, source_system="pos"))
    with pytest.raises(ValueError, match="must be 'kiosk:"):
        adapters.SourceAdapter("kiosk", "true", {}, reasons=(("unknown_kind", "true"),))
    with pytest.raises(ValueError, match="not canonical fields: store"):
        adapters.SourceAdapter("kiosk", "true", {"store": "doc.store"})
    assert [adapter.name for adapter in adapters.registered()] == ["wms_v2"]


def test_a_record_two_adapters_select_is_mapped_by_the_first(kiosk, landing, tmp_path):
    """A kiosk line with schema_version "2": wms_v2, registered first, maps it, so it is read
    as a version 2 event (no event_id: missing_field:event_id) and the kiosk's reasons (it is
    in training mode) do not apply."""
    adapters.register(kiosk)
    line = '{"schema_version": "2", "txn": "K-2001", "kind": "SALE", "training": true}'
    (landing / LANDED).write_text(line + "\n")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest.load_reference(con, landing)
    ingest.ingest_files(con, landing, ingested_at=INGESTED_AT)
    assert rows(con, "SELECT event_id, reason FROM raw.quarantined_events") == [
        (None, "missing_field:event_id")
    ]
    con.close()
