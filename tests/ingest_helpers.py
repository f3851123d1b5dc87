"""Shared by the ingestion tests (and the orchestration and extending tests that land events):
hand-written reference data, a valid event to vary, writers for the three landing formats and
small queries on the raw tables."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from omnistock import ingest
from omnistock.ingest.rules import CANONICAL_FIELDS

LOCATIONS = [
    ("S001", "store", "north", "Store 1"),
    ("S002", "store", "south", "Store 2"),
    ("DC01", "dc", "north", "DC 1"),
]
SKUS = [("SKU1", "shoes", "10.0", "25.0", "A"), ("SKU2", "bags", "5.5", "12.0", "B")]
DROP = object()  # marks a field to leave out of a record


def event(**fields) -> dict:
    """A valid version-1 `sale`, with fields replaced (or dropped with DROP)."""
    record = {
        "event_id": "E1",
        "schema_version": "1",
        "event_type": "sale",
        "source_system": "pos",
        "occurred_at": "2026-03-01T10:00:00Z",
        "emitted_at": "2026-03-01T10:02:00Z",
        "case_id": "T1",
        "location_id": "S001",
        "sku": "SKU1",
        "quantity": 2,
        "channel": "store",
    }
    record.update(fields)
    return {key: value for key, value in record.items() if value is not DROP}


def write_reference(landing: Path, locations=LOCATIONS, skus=SKUS) -> None:
    folder = landing / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    rows = [("location_id", "location_type", "region", "name"), *locations]
    (folder / "locations.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")
    rows = [("sku", "category", "unit_cost", "unit_price", "abc_class"), *skus]
    (folder / "skus.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")


def write_jsonl(path: Path, records: list[dict | str]) -> Path:
    """Dicts become JSON objects; strings are written as they are (raw lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _text_cell(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value) if isinstance(value, dict) else str(value)


def write_csv(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CANONICAL_FIELDS)
    for record in records:
        writer.writerow([_text_cell(record.get(name)) or "" for name in CANONICAL_FIELDS])
    path.write_text(out.getvalue())
    return path


def write_parquet(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {
        name: pa.array([_text_cell(r.get(name)) for r in records], pa.string())
        for name in CANONICAL_FIELDS
    }
    columns["quantity"] = pa.array([r.get("quantity") for r in records], pa.int64())
    pq.write_table(pa.table(columns), path)
    return path


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def quarantined(con) -> list[tuple]:
    return rows(con, "SELECT source_line, reason FROM raw.quarantined_events ORDER BY 1")


def reason_of(con, landing: Path, record: dict | str, file_format: str = "jsonl") -> str | None:
    """Ingest one record; return its quarantine reason (None when it was stored)."""
    WRITERS[file_format](landing / "pos" / f"one.{file_format}", [record])
    ingest.ingest_files(con, landing)
    found = rows(con, "SELECT reason FROM raw.quarantined_events")
    stored = rows(con, "SELECT count(*) FROM raw.inventory_events")[0][0]
    assert len(found) + stored == 1
    return found[0][0] if found else None


def land_files_a_b_c(landing: Path) -> None:
    """pos/a.jsonl, pos/b.jsonl and pos/c.jsonl, holding the valid events A, B and C."""
    for name in ("a", "b", "c"):
        write_jsonl(landing / "pos" / f"{name}.jsonl", [event(event_id=name.upper())])


def assert_only_b_refused(con, report: ingest.IngestReport) -> None:
    """b.jsonl refused as `unreadable_file:judging`, a and c loaded, their events stored."""
    assert [(f.path, f.status) for f in report.files] == [
        ("pos/a.jsonl", "loaded"),
        ("pos/b.jsonl", "refused"),
        ("pos/c.jsonl", "loaded"),
    ]
    assert report.refused[0].reason == "unreadable_file:judging"
    assert rows(con, "SELECT event_id FROM raw.inventory_events ORDER BY 1") == [("A",), ("C",)]
    assert ingest.accounting_violations(con) == []
