"""Ingestion engine: validation reasons, accounting, idempotence, formats, drift, replay.

Every fixture is hand-written; expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import (
    DROP,
    LOCATIONS,
    WRITERS,
    assert_only_b_refused,
    event,
    land_files_a_b_c,
    quarantined,
    reason_of,
    rows,
    write_csv,
    write_jsonl,
    write_parquet,
    write_reference,
)

from omnistock import ingest
from omnistock.ingest import engine
from omnistock.ingest.rules import CANONICAL_FIELDS
from omnistock.ingest.validation import content_hash_sql

# --- quarantine reasons, one per rule (architecture: validation order) ------------------------

REASON_CASES = [
    ("not json at all", "malformed_record"),
    ('["an", "array"]', "malformed_record"),
    ('{"event_id": "E1"} trailing', "malformed_record"),
    (event(attributes=["not", "an", "object"]), "malformed_record"),
    (event(attributes='{"broken": '), "malformed_record"),
    (event(event_id=DROP), "missing_field:event_id"),
    (event(event_id=""), "missing_field:event_id"),
    (event(schema_version=None), "missing_field:schema_version"),
    (event(event_type=DROP), "missing_field:event_type"),
    (event(source_system=DROP), "missing_field:source_system"),
    (event(occurred_at=DROP), "missing_field:occurred_at"),
    (event(emitted_at=DROP), "missing_field:emitted_at"),
    (event(case_id=DROP), "missing_field:case_id"),
    (event(schema_version="3"), "unsupported_schema_version"),
    (event(event_id="has space"), "invalid_value:event_id"),
    (event(event_id="x" * 65), "invalid_value:event_id"),
    (event(event_type="teleported"), "unknown_event_type"),
    (event(source_system="mainframe"), "invalid_value:source_system"),
    (event(location_id=DROP), "missing_field:location_id"),
    (
        event(event_type="transfer_requested", channel=DROP, to_location_id=None),
        "missing_field:to_location_id",
    ),
    (event(sku=DROP), "missing_field:sku"),
    (event(quantity=None), "missing_field:quantity"),
    (event(channel=DROP), "missing_field:channel"),
    (event(event_type="inventory_adjusted", quantity=-1), "missing_field:reason_code"),
    (event(event_type="po_created", channel=DROP), "missing_field:attributes.expected_at"),
    (
        event(event_type="cycle_count_completed", attributes={"counted_by": "x"}),
        "missing_field:attributes.system_quantity",
    ),
    (
        event(event_type="erp_posted", attributes={"posted_event_id": None}),
        "missing_field:attributes.posted_event_id",
    ),
    (  # keys are checked in SPEC order: integration, status_code, latency_ms, attempt
        event(event_type="api_call", attributes={"integration": "oms_erp", "attempt": 1}),
        "missing_field:attributes.status_code",
    ),
    (event(occurred_at="2026-03-01T10:00:00"), "invalid_timestamp"),  # no offset
    (event(emitted_at="2026-02-30T10:00:00Z"), "invalid_timestamp"),  # no such day
    (event(occurred_at="yesterday"), "invalid_timestamp"),
    (event(quantity=0), "invalid_quantity"),
    (event(quantity=-2), "invalid_quantity"),
    (event(quantity=1.5), "invalid_quantity"),
    (event(quantity="5"), "invalid_quantity"),  # a JSON string is not an integer
    (event(event_type="inventory_adjusted", reason_code="shrink", quantity=0), "invalid_quantity"),
    (event(event_type="stock_snapshot", channel=DROP, quantity=-1), "invalid_quantity"),
    (event(channel="carrier_pigeon"), "invalid_value:channel"),
    (
        event(event_type="reservation_failed", channel=DROP, reason_code="bad_luck"),
        "invalid_value:reason_code",
    ),
    (event(emitted_at="2026-03-01T09:54:59Z"), "emitted_before_occurred"),  # 5 min 1 s early
    (event(location_id="S999"), "unknown_location"),
    (
        event(event_type="transfer_requested", channel=DROP, to_location_id="DC99"),
        "unknown_location",
    ),
    (event(sku="SKU404"), "unknown_sku"),
]


@pytest.mark.parametrize(("record", "reason"), REASON_CASES)
def test_each_rule_quarantines_with_its_reason(con, landing, record, reason):
    assert reason_of(con, landing, record) == reason


VALID_EDGE_CASES = [
    event(emitted_at="2026-03-01T09:55:00Z"),  # exactly 5 minutes early is tolerated
    event(event_type="inventory_adjusted", reason_code="found", quantity=-3),
    event(event_type="stock_snapshot", channel=DROP, quantity=0),
    event(event_type="cycle_count_completed", quantity=0, attributes={"system_quantity": 4}),
    event(event_type="transfer_approved", location_id=DROP, sku=DROP, quantity=DROP),
    event(event_type="po_acknowledged", attributes={"expected_at": "2026-03-09T00:00:00Z"}),
    event(event_type="order_cancelled", reason_code="fraud", location_id=DROP),
    event(attributes='{"as": "a JSON string"}'),
    event(occurred_at="2026-03-01T10:00:00.250+00:00"),
]


@pytest.mark.parametrize("record", VALID_EDGE_CASES)
def test_valid_edge_cases_are_stored(con, landing, record):
    assert reason_of(con, landing, record) is None


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        # several problems: the first rule in the documented order wins
        (event(event_id=DROP, location_id="S999"), "missing_field:event_id"),
        (event(schema_version="9", event_type="nope"), "unsupported_schema_version"),
        (event(channel=DROP, quantity=0), "missing_field:channel"),
        (event(occurred_at="soon", sku="SKU404"), "invalid_timestamp"),
        (event(quantity=0, channel="nope"), "invalid_quantity"),
        (event(location_id="S999", sku="SKU404"), "unknown_location"),
    ],
)
def test_first_failing_rule_wins(con, landing, record, reason):
    assert reason_of(con, landing, record) == reason


@pytest.mark.parametrize(
    "line",
    [
        "E1,1,sale,pos",  # too few cells
        "E1,1,sale,pos,2026-03-01T10:00:00Z,2026-03-01T10:02:00Z,T1,S001,,SKU1,2,store,,,x",
    ],
)
def test_csv_row_with_wrong_cell_count_is_malformed(con, landing, line):
    path = landing / "pos" / "cells.csv"
    path.parent.mkdir()
    path.write_text(",".join(CANONICAL_FIELDS) + "\n" + line + "\n")
    ingest.ingest_files(con, landing)
    assert quarantined(con) == [(2, "malformed_record")]


# --- the accounting identity -------------------------------------------------------------------


def test_every_record_ends_in_exactly_one_place(con, landing):
    write_jsonl(
        landing / "pos" / "2026-03-01T00.jsonl",
        [
            event(event_id="A"),  # line 1: stored
            "{oops",  # line 2: malformed
            "",  # line 3: blank, not a record
            event(event_id="B", sku="SKU404"),  # line 4: unknown_sku
            event(event_id="A"),  # line 5: duplicate of line 1
            event(event_id="A", quantity=9),  # line 6: duplicate_conflict
            event(event_id="C", location_id="S002"),  # line 7: stored
        ],
    )
    report = ingest.ingest_files(con, landing)

    (loaded,) = report.files
    assert (loaded.records_read, loaded.records_stored) == (6, 2)
    assert (loaded.records_duplicate, loaded.records_quarantined) == (1, 3)
    assert loaded.quarantined_by_reason == {
        "duplicate_conflict": 1,
        "malformed_record": 1,
        "unknown_sku": 1,
    }
    assert report.quarantined_by_source == {"pos": 3}
    assert rows(con, "SELECT event_id, source_line FROM raw.inventory_events ORDER BY 1") == [
        ("A", 1),
        ("C", 7),
    ]
    assert rows(con, "SELECT event_id, source_line FROM raw.duplicate_events") == [("A", 5)]
    assert quarantined(con) == [
        (2, "malformed_record"),
        (4, "unknown_sku"),
        (6, "duplicate_conflict"),
    ]
    assert rows(
        con,
        "SELECT records_read, records_stored, records_duplicate, records_quarantined, status "
        "FROM raw.ingested_files WHERE path LIKE 'pos/%'",
    ) == [(6, 2, 1, 3, "loaded")]
    assert ingest.accounting_violations(con) == []
    assert ingest.duplicate_event_ids(con) == 0
    assert ingest.quarantine_rate_by_source(con) == {"pos": 0.5}
    assert ingest.store_totals(con) == {
        "events": 2,
        "quarantined": 3,
        "duplicates": 1,
        "files": 1,
        "refused_files": 0,
        "ignored_entries": 2,  # reference/locations.csv and reference/skus.csv
        "unknown_entries": 0,
    }


def test_accounting_violations_flags_a_tampered_file(con, landing):
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A"), event(event_id="B")])
    ingest.ingest_files(con, landing)
    con.execute("DELETE FROM raw.inventory_events WHERE event_id = 'B'")
    (violation,) = ingest.accounting_violations(con)
    assert violation["path"] == "pos/a.jsonl"
    assert (violation["records_read"], violation["rows_stored"]) == (2, 1)


def test_duplicate_event_ids_counts_repeated_ids(con):
    for _ in range(2):
        con.execute("""
INSERT INTO raw.inventory_events VALUES ('X', '1', 'sale', 'pos', '2026-03-01', '2026-03-01',
    'T', 'S001', NULL, 'SKU1', 1, 'store', NULL, '{}', 'f', 1, '2026-03-01')""")
    assert ingest.duplicate_event_ids(con) == 1


# --- idempotence, batching, atomicity ---------------------------------------------------------

SNAPSHOT_QUERIES = {
    "events": "SELECT * EXCLUDE (ingested_at) FROM raw.inventory_events ORDER BY event_id",
    "quarantine": "SELECT * EXCLUDE (quarantined_at) FROM raw.quarantined_events ORDER BY 1",
    "duplicates": "SELECT * EXCLUDE (detected_at) FROM raw.duplicate_events ORDER BY ALL",
    "files": "SELECT * EXCLUDE (loaded_at) FROM raw.ingested_files ORDER BY path",
}


def snapshot(con) -> dict[str, list[tuple]]:
    return {name: rows(con, sql) for name, sql in SNAPSHOT_QUERIES.items()}


def mixed_landing(landing: Path) -> None:
    write_jsonl(landing / "pos" / "01.jsonl", [event(event_id="P1"), "bad", event(event_id="P2")])
    write_csv(landing / "wms" / "01.csv", [event(event_id="W1", source_system="wms")])
    write_parquet(
        landing / "erp" / "01.parquet",
        [event(event_id="R1", source_system="erp"), event(event_id="P1")],
    )


def test_loading_the_same_files_twice_changes_nothing(con, landing):
    mixed_landing(landing)
    first = ingest.ingest_files(con, landing)
    before = snapshot(con)
    again = ingest.ingest_files(con, landing)

    assert (first.files_loaded, again.files_loaded, again.files_skipped) == (3, 0, 3)
    assert snapshot(con) == before
    # erp/ sorts before pos/: the Parquet P1 is stored first, the JSONL one is its duplicate
    assert before["duplicates"][0][:3] == ("P1", "pos/01.jsonl", 1)


def test_a_copy_of_a_loaded_file_under_another_name_is_loaded_as_duplicates(con, landing):
    write_jsonl(landing / "pos" / "a.jsonl", [event(), event(event_id="E2", sku="SKU404")])
    ingest.ingest_files(con, landing)
    (landing / "pos" / "b.jsonl").write_bytes((landing / "pos" / "a.jsonl").read_bytes())
    report = ingest.ingest_files(con, landing)
    assert [(f.path, f.status) for f in report.files] == [
        ("pos/a.jsonl", "skipped"),
        ("pos/b.jsonl", "loaded"),
    ]
    # b.jsonl: E1 is a duplicate of a.jsonl's, E2 is quarantined again (unknown_sku)
    assert rows(
        con,
        "SELECT path, records_read, records_stored, records_duplicate, records_quarantined "
        "FROM raw.ingested_files WHERE status = 'loaded' ORDER BY 1",
    ) == [("pos/a.jsonl", 2, 1, 0, 1), ("pos/b.jsonl", 2, 0, 1, 1)]
    assert ingest.accounting_violations(con) == []
    before = snapshot(con)
    assert [f.status for f in ingest.ingest_files(con, landing).files] == ["skipped"] * 2
    assert snapshot(con) == before


def test_one_transaction_per_file_gives_the_same_store(tmp_path, landing):
    mixed_landing(landing)
    stores = []
    for batch_records in (1, 1_000_000):
        con = duckdb.connect(str(tmp_path / f"w{batch_records}.duckdb"))
        ingest.load_reference(con, landing)
        ingest.ingest_files(con, landing, batch_records=batch_records)
        stores.append(snapshot(con))
        con.close()
    assert stores[0] == stores[1]


def test_only_the_given_files_are_loaded(con, landing):
    mixed_landing(landing)
    report = ingest.ingest_files(con, landing, files=[landing / "wms" / "01.csv", "pos/01.jsonl"])
    assert [f.path for f in report.files] == ["pos/01.jsonl", "wms/01.csv"]
    assert rows(con, "SELECT count(*) FROM raw.ingested_files WHERE status = 'loaded'") == [(2,)]


def test_a_failure_before_commit_leaves_nothing_and_a_rerun_loads_whole(con, landing, monkeypatch):
    mixed_landing(landing)

    def fail(*args):  # runs after events, duplicates and quarantine rows were inserted
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(engine, "_verify_accounting", fail)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        ingest.ingest_files(con, landing)
    assert all(not table for table in snapshot(con).values())

    monkeypatch.undo()
    report = ingest.ingest_files(con, landing)
    assert report.files_loaded == 3
    assert report.records_read == 6
    assert ingest.accounting_violations(con) == []


def test_a_failure_in_the_second_batch_keeps_the_first(con, landing, monkeypatch):
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A")])
    write_jsonl(landing / "pos" / "b.jsonl", [event(event_id="B")])
    real_insert = engine.insert_events

    def fail_on_b(con, now):
        inserted = real_insert(con, now)
        if rows(con, "SELECT count(*) FROM ingest_checked WHERE event_id = 'B'")[0][0]:
            raise RuntimeError("killed")
        return inserted

    monkeypatch.setattr(engine, "insert_events", fail_on_b)
    with pytest.raises(RuntimeError):
        ingest.ingest_files(con, landing, batch_records=1)
    assert rows(con, "SELECT event_id FROM raw.inventory_events") == [("A",)]
    assert rows(con, "SELECT path FROM raw.ingested_files") == [("pos/a.jsonl",)]


def test_an_unreadable_file_is_refused_and_the_rest_loads(con, landing):
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A")])
    broken = landing / "pos" / "b.parquet"
    broken.write_bytes(b"PAR1 this is not parquet PAR1")
    events_files = "SELECT path, status FROM raw.ingested_files WHERE path LIKE 'pos/%' ORDER BY 1"

    report = ingest.ingest_files(con, landing)
    assert report.files_loaded == 1
    assert rows(con, events_files) == [("pos/a.jsonl", "loaded"), ("pos/b.parquet", "refused")]
    (error,) = rows(con, "SELECT error_message FROM raw.ingested_files WHERE status = 'refused'")
    assert "Parquet" in error[0]
    with pytest.raises(ingest.IngestFailed, match="pos/b.parquet"):  # opt-in
        ingest.ingest_files(con, landing, retry_refused=True, raise_on_failure=True)

    broken.unlink()
    write_parquet(broken, [event(event_id="B")])
    ingest.ingest_files(con, landing)
    assert rows(con, events_files) == [("pos/a.jsonl", "loaded"), ("pos/b.parquet", "loaded")]


def test_a_file_whose_records_break_the_batch_statement_fails_alone(con, landing, monkeypatch):
    land_files_a_b_c(landing)
    real_check = engine.check_records

    def check(con, relation):  # pretend b.jsonl (file_seq 1) holds a value DuckDB chokes on
        if "WHERE file_seq" not in relation.sql or "WHERE file_seq = 1" in relation.sql:
            raise duckdb.ConversionException("Could not convert string 'b' to INT64")
        return real_check(con, relation)

    monkeypatch.setattr(engine, "check_records", check)
    report = ingest.ingest_files(con, landing)

    assert_only_b_refused(con, report)
    assert "Could not convert" in report.refused[0].error


def test_an_empty_file_is_loaded_with_no_records(con, landing):
    (landing / "pos").mkdir()
    (landing / "pos" / "empty.jsonl").write_text("")
    report = ingest.ingest_files(con, landing)
    assert (report.files_loaded, report.records_read) == (1, 0)


# --- duplicates ------------------------------------------------------------------------------


def test_duplicates_and_conflicts_across_and_within_files(con, landing):
    write_jsonl(landing / "pos" / "1.jsonl", [event(event_id="A"), event(event_id="B")])
    ingest.ingest_files(con, landing)
    write_jsonl(
        landing / "pos" / "2.jsonl",
        [
            # line 1: A again, same instant written with another offset and key order: duplicate
            dict(reversed(event(event_id="A", occurred_at="2026-03-01T11:00:00+01:00").items())),
            event(event_id="B", quantity=3),  # line 2: B with other content: conflict
            event(event_id="C"),  # line 3: new
            event(event_id="C"),  # line 4: repeated in the file, identical: duplicate
            event(event_id="D"),  # line 5: new
            event(event_id="D", case_id="T2"),  # line 6: repeated, different: conflict
        ],
    )
    report = ingest.ingest_files(con, landing)

    assert rows(con, "SELECT event_id, source_line FROM raw.duplicate_events ORDER BY 1") == [
        ("A", 1),
        ("C", 4),
    ]
    assert quarantined(con) == [(2, "duplicate_conflict"), (6, "duplicate_conflict")]
    assert rows(con, "SELECT raw_record FROM raw.quarantined_events ORDER BY source_line") == [
        (json.dumps(event(event_id="B", quantity=3)),),
        (json.dumps(event(event_id="D", case_id="T2")),),
    ]
    assert rows(con, "SELECT event_id, quantity FROM raw.inventory_events ORDER BY 1") == [
        ("A", 2),
        ("B", 2),  # the stored version wins
        ("C", 2),
        ("D", 2),
    ]
    assert report.files[-1].records_duplicate == 2
    assert ingest.duplicate_event_ids(con) == 0


def test_duplicates_between_files_of_one_batch_follow_name_order(con, landing):
    write_csv(landing / "pos" / "b.csv", [event(event_id="A", quantity=5)])
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A", quantity=1)])
    ingest.ingest_files(con, landing)
    assert rows(con, "SELECT source_file, quantity FROM raw.inventory_events") == [
        ("pos/a.jsonl", 1)
    ]
    assert rows(con, "SELECT source_file, reason FROM raw.quarantined_events") == [
        ("pos/b.csv", "duplicate_conflict")
    ]


# --- schema drift, time zones, formats -------------------------------------------------------

STORE_COLUMNS = "* EXCLUDE (source_file, source_line, ingested_at)"


def test_version_2_is_upcast_to_the_same_stored_row(con, landing):
    v1 = event(event_id="V", location_id="S002", sku="SKU2", quantity=7)
    v2 = {
        key: value
        for key, value in v1.items()
        if key not in ("location_id", "sku", "quantity", "schema_version")
    } | {"schema_version": "2", "site_id": "S002", "item": {"sku": "SKU2", "qty": 7}}
    write_jsonl(landing / "pos" / "1.jsonl", [v2])
    write_jsonl(landing / "pos" / "2.jsonl", [v1])
    ingest.ingest_files(con, landing)

    (stored,) = rows(con, f"SELECT {STORE_COLUMNS} FROM raw.inventory_events")
    assert stored[:4] == ("V", "2", "sale", "pos")  # the version as received
    assert stored[7:11] == ("S002", None, "SKU2", 7)
    # the v1 rendering is the same content: a duplicate, not a conflict
    (duplicate,) = rows(con, "SELECT event_id, content_hash FROM raw.duplicate_events")
    (stored_hash,) = rows(con, f"SELECT {content_hash_sql()} FROM raw.inventory_events")
    assert duplicate == ("V", stored_hash[0])


def test_version_2_without_item_misses_the_sku(con, landing):
    record = event(schema_version="2", location_id=DROP, site_id="S001", sku=DROP, quantity=DROP)
    assert reason_of(con, landing, record) == "missing_field:sku"


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-03-01T23:30:00-02:00", datetime(2026, 3, 2, 1, 30)),
        ("2026-03-02T07:00:00+05:30", datetime(2026, 3, 2, 1, 30)),
        ("2026-03-02T01:30:00Z", datetime(2026, 3, 2, 1, 30)),
        ("2026-03-02T02:30:00.125+0100", datetime(2026, 3, 2, 1, 30, 0, 125000)),
    ],
)
def test_timestamps_are_stored_in_utc(con, landing, written, utc):
    record = event(occurred_at=written, emitted_at="2026-03-02T01:31:00Z")
    assert reason_of(con, landing, record) is None
    assert rows(con, "SELECT occurred_at FROM raw.inventory_events") == [(utc,)]


FORMAT_RECORDS = [
    event(event_id="F1", attributes={"basket": "B1", "lines": 2}),
    event(event_id="F2", occurred_at="2026-03-01T11:00:00+01:00", location_id="S002"),
    event(
        event_id="F3",
        event_type="transfer_requested",
        channel=None,
        location_id="DC01",
        to_location_id="S001",
        quantity=12,
    ),
    event(event_id="F4", event_type="inventory_adjusted", reason_code="shrink", quantity=-1),
    event(event_id="F5", sku="SKU404"),  # unknown_sku
    event(event_id="F6", quantity=0),  # invalid_quantity
    event(event_id="F1", attributes={"basket": "B1", "lines": 2}),  # duplicate
    event(event_id="F4", event_type="inventory_adjusted", reason_code="damage", quantity=-1),
]


def test_a_warehouse_with_stored_md5_hashes_is_migrated(tmp_path, landing):
    """Before, every stored event and logged duplicate kept an md5 hex content_hash. The
    migration drops the events' column and rehashes the duplicate log from the stored content,
    after which re-deliveries are still told apart from conflicts."""
    write_jsonl(landing / "pos" / "1.jsonl", [event(event_id="A"), event(event_id="A")])
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    ingest.load_reference(con, landing)
    ingest.ingest_files(con, landing)
    # turn it into the old layout: a hex hash column on both tables, wherever it stood
    con.execute("ALTER TABLE raw.inventory_events ADD COLUMN content_hash VARCHAR")
    con.execute("UPDATE raw.inventory_events SET content_hash = md5('anything')")
    con.execute("ALTER TABLE raw.duplicate_events ALTER content_hash TYPE VARCHAR")
    con.execute("UPDATE raw.duplicate_events SET content_hash = md5('anything')")

    ingest.ensure_schema(con)

    columns = rows(con, "SELECT column_name FROM (DESCRIBE raw.inventory_events)")
    assert ("content_hash",) not in columns
    (stored_hash,) = rows(con, f"SELECT {content_hash_sql()} FROM raw.inventory_events")
    assert rows(con, "SELECT event_id, content_hash FROM raw.duplicate_events") == [
        ("A", stored_hash[0])
    ]
    write_jsonl(landing / "pos" / "2.jsonl", [event(event_id="A"), event(event_id="A", quantity=3)])
    report = ingest.ingest_files(con, landing)
    assert (report.records_duplicate, report.records_quarantined) == (1, 1)
    assert rows(con, "SELECT reason FROM raw.quarantined_events") == [("duplicate_conflict",)]


def test_jsonl_csv_and_parquet_give_the_same_store(tmp_path, landing):
    stores = {}
    for file_format, write in WRITERS.items():
        folder = tmp_path / file_format
        write_reference(folder)
        write(folder / "pos" / f"batch.{file_format}", FORMAT_RECORDS)
        con = duckdb.connect(str(tmp_path / f"{file_format}.duckdb"))
        ingest.load_reference(con, folder)
        ingest.ingest_files(con, folder)
        stores[file_format] = {
            "events": rows(con, f"SELECT {STORE_COLUMNS} FROM raw.inventory_events ORDER BY 1"),
            "reasons": rows(
                con,
                "SELECT event_id, reason, raw_record <> '' FROM raw.quarantined_events ORDER BY 1",
            ),
            "duplicates": rows(con, "SELECT event_id, content_hash FROM raw.duplicate_events"),
        }
        con.close()

    assert stores["jsonl"] == stores["csv"] == stores["parquet"]
    assert len(stores["jsonl"]["events"]) == 4
    assert stores["jsonl"]["reasons"] == [
        ("F4", "duplicate_conflict", True),
        ("F5", "unknown_sku", True),
        ("F6", "invalid_quantity", True),
    ]
    (f1,) = [e for e in stores["jsonl"]["events"] if e[0] == "F1"]
    assert f1[13] == '{"basket":"B1","lines":2}'  # attributes, minified


def test_raw_text_and_line_numbers_are_kept_per_format(con, landing):
    bad = event(event_id="Q", location_id="S999")
    write_jsonl(landing / "pos" / "a.jsonl", ["", bad])
    write_csv(landing / "pos" / "b.csv", [event(event_id="ok"), bad])
    write_parquet(landing / "pos" / "c.parquet", [event(event_id="ok2"), bad])
    ingest.ingest_files(con, landing)
    found = {
        path: (line, raw)
        for path, line, raw in rows(
            con, "SELECT source_file, source_line, raw_record FROM raw.quarantined_events"
        )
    }
    assert found["pos/a.jsonl"] == (2, json.dumps(bad))
    assert found["pos/b.csv"][0] == 3  # header is line 1
    assert found["pos/b.csv"][1].startswith("Q,1,sale,pos,2026-03-01T10:00:00Z")
    line, raw = found["pos/c.parquet"]
    assert line == 2 and json.loads(raw)["location_id"] == "S999"


def test_csv_quoted_line_break_crlf_and_bom(con, landing):
    path = landing / "pos" / "odd.csv"
    path.parent.mkdir()
    header = ",".join(CANONICAL_FIELDS)
    line = "{id},1,sale,pos,2026-03-01T10:00:00Z,2026-03-01T10:02:00Z,{case},S001,,SKU1,2,store,,"
    text = "\r\n".join(
        [header, line.format(id="A", case='"two\r\nlines"'), "", line.format(id="B", case="T")]
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode() + b"\r\n")
    ingest.ingest_files(con, landing)
    assert rows(
        con, "SELECT event_id, case_id, source_line FROM raw.inventory_events ORDER BY 1"
    ) == [
        ("A", "two\r\nlines", 2),
        ("B", "T", 5),
    ]


def test_quarantined_csv_records_keep_their_own_text(con, landing):
    """CSV texts are looked up only for records that end in quarantine: a record spanning two
    lines, a row with too few cells and a plain bad row each keep exactly their own text."""
    path = landing / "pos" / "bad.csv"
    path.parent.mkdir()
    header = ",".join(CANONICAL_FIELDS)
    line = "{id},1,sale,pos,2026-03-01T10:00:00Z,2026-03-01T10:02:00Z,{case},S001,,{sku},2,store,,"
    spanning = line.format(id="A", case='"two\nlines"', sku="SKU404")
    short = "B,1,sale,pos"
    plain = line.format(id="C", case="T", sku="SKU404")
    good = line.format(id="D", case="T", sku="SKU1")
    path.write_text("\n".join([header, spanning, short, plain, good]) + "\n")
    ingest.ingest_files(con, landing)
    assert rows(con, "SELECT event_id, source_line FROM raw.inventory_events") == [("D", 6)]
    assert rows(
        con, "SELECT source_line, reason, raw_record FROM raw.quarantined_events ORDER BY 1"
    ) == [
        (2, "unknown_sku", spanning),
        (4, "malformed_record", short),
        (5, "unknown_sku", plain),
    ]


def test_jsonl_crlf_and_invalid_utf8(con, landing):
    path = landing / "pos" / "bytes.jsonl"
    path.parent.mkdir()
    good = json.dumps(event(event_id="A")).encode()
    broken = json.dumps(event(event_id="B", case_id="X")).encode().replace(b'"X"', b'"\xff"')
    path.write_bytes(good + b"\r\n" + broken + b"\r\n")
    ingest.ingest_files(con, landing)
    assert rows(con, "SELECT event_id FROM raw.inventory_events") == [("A",)]
    assert quarantined(con) == [(2, "malformed_record")]


# --- replay ------------------------------------------------------------------------------------


def test_replay_after_reference_data_gains_a_location(con, landing):
    late = event(event_id="L1", location_id="S777")
    both = event(event_id="L2", location_id="S777", sku="SKU404")
    write_jsonl(landing / "pos" / "a.jsonl", [late, both, "garbage"])
    write_csv(landing / "wms" / "b.csv", [event(event_id="L3", location_id="S777")])
    write_parquet(landing / "erp" / "c.parquet", [event(event_id="L4", location_id="S777")])
    ingest.ingest_files(con, landing)
    assert ingest.store_totals(con)["quarantined"] == 5

    nothing_fixed = ingest.replay_quarantine(con)
    assert (nothing_fixed.examined, nothing_fixed.stored) == (5, 0)

    write_reference(landing, locations=[*LOCATIONS, ("S777", "store", "east", "New store")])
    ingest.load_reference(con, landing)
    replayed = ingest.replay_quarantine(con, reasons=["unknown_location"])

    assert (replayed.examined, replayed.stored, replayed.still_quarantined) == (4, 3, 1)
    assert (replayed.reasons_changed, replayed.still_quarantined_by_reason) == (
        1,
        {"unknown_sku": 1},
    )
    assert rows(
        con, "SELECT event_id, source_file, source_line FROM raw.inventory_events ORDER BY 1"
    ) == [
        ("L1", "pos/a.jsonl", 1),
        ("L3", "wms/b.csv", 2),
        ("L4", "erp/c.parquet", 1),
    ]
    assert rows(
        con,
        "SELECT event_id, reason, replayed_at IS NOT NULL FROM raw.quarantined_events "
        "ORDER BY source_file, source_line",
    ) == [
        ("L4", "unknown_location", True),  # history kept, marked replayed
        ("L1", "unknown_location", True),
        ("L2", "unknown_sku", False),  # still bad: its first failing rule changed
        (None, "malformed_record", False),
        ("L3", "unknown_location", True),
    ]
    assert rows(
        con,
        "SELECT path, records_stored, records_quarantined FROM raw.ingested_files "
        "WHERE status = 'loaded' ORDER BY 1",
    ) == [("erp/c.parquet", 1, 0), ("pos/a.jsonl", 1, 2), ("wms/b.csv", 1, 0)]
    assert ingest.accounting_violations(con) == []
    assert ingest.replay_quarantine(con, reasons=["unknown_location"]).examined == 0


def test_replay_of_a_record_stored_meanwhile_is_a_duplicate(con, landing):
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A", location_id="S777")])
    ingest.ingest_files(con, landing)
    write_reference(landing, locations=[*LOCATIONS, ("S777", "store", "east", "New store")])
    ingest.load_reference(con, landing)
    redelivery = [event(event_id="Z"), event(event_id="A", location_id="S777")]
    write_jsonl(landing / "pos" / "b.jsonl", redelivery)
    ingest.ingest_files(con, landing)  # the re-delivered A is stored now

    replayed = ingest.replay_quarantine(con)
    assert (replayed.stored, replayed.duplicates) == (0, 1)
    assert rows(con, "SELECT source_file FROM raw.duplicate_events") == [("pos/a.jsonl",)]
    assert ingest.accounting_violations(con) == []
