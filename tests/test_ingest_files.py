"""File-level ingestion (issue 9): every entry of the landing folder in the manifest, one bad
file never stopping the others, values as sent, tolerant CSV and Parquet readers.

Hand-made landing folders under tmp_path, real DuckDB files; expected values worked out by hand
in the comments. The `tiny` simulator scenario checks the whole picture with damaged files added.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import (
    DROP,
    assert_only_b_refused,
    event,
    land_files_a_b_c,
    rows,
    write_csv,
    write_jsonl,
    write_parquet,
    write_reference,
)

import simulator
from omnistock import ingest
from omnistock.ingest import engine, readers, staging
from omnistock.ingest.rules import CANONICAL_FIELDS

HEADER = ",".join(CANONICAL_FIELDS)
CSV_LINE = "{id},1,sale,pos,2026-03-01T10:00:00Z,2026-03-01T10:02:00Z,{case},S001,,SKU1,2,store,,"
RAW_TABLES = (
    "inventory_events",
    "quarantined_events",
    "duplicate_events",
    "ingested_files",
    "csv_file_headers",
)


def table_counts(con) -> dict[str, int]:
    return {name: rows(con, f"SELECT count(*) FROM raw.{name}")[0][0] for name in RAW_TABLES}


def table_contents(con) -> dict[str, list[tuple]]:
    """Everything but the timestamps of the run that wrote it."""
    return {
        "events": rows(
            con, "SELECT * EXCLUDE (ingested_at) FROM raw.inventory_events ORDER BY ALL"
        ),
        "quarantine": rows(
            con,
            "SELECT * EXCLUDE (quarantined_at, replayed_at) FROM raw.quarantined_events ORDER BY 1",
        ),
        "duplicates": rows(
            con, "SELECT * EXCLUDE (detected_at) FROM raw.duplicate_events ORDER BY ALL"
        ),
        "manifest": rows(con, "SELECT * EXCLUDE (loaded_at) FROM raw.ingested_files ORDER BY ALL"),
    }


def manifest(con, where: str = "true") -> dict[str, tuple]:
    """path -> (status, status_reason, entry_type)."""
    return {
        path: tuple(rest)
        for path, *rest in rows(
            con,
            "SELECT path, status, status_reason, entry_type FROM raw.ingested_files "
            f"WHERE {where} ORDER BY path",
        )
    }


def file_counts(con, path: str) -> tuple:
    """(read, stored, duplicate, quarantined) of a loaded file, from the manifest."""
    (found,) = con.execute(
        "SELECT records_read, records_stored, records_duplicate, records_quarantined "
        "FROM raw.ingested_files WHERE status = 'loaded' AND path = ?",
        [path],
    ).fetchall()
    return found


def write_text_file(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


# --- the landing scan: every entry accounted for ---------------------------------------------


def hostile_landing(landing: Path, outside: Path) -> None:
    """One of every kind of entry the contract does not describe, beside one valid file."""
    write_jsonl(landing / "pos" / "good.jsonl", [event(event_id="G1")])
    for name in ("x.ndjson", "x.json", "x.txt", "x.jsonl.gz", ".hidden.jsonl", "_partial.jsonl"):
        write_text_file(landing / "pos" / name, "{}\n")
    write_text_file(landing / "pos" / "late.jsonl.tmp", "{}\n")
    write_text_file(landing / "pos" / "nested" / "deep.jsonl", "{}\n")
    (landing / "pos" / "folder.jsonl").mkdir()
    os.mkfifo(landing / "pos" / "fifo.jsonl")
    write_text_file(outside / "secret.jsonl", json.dumps(event(event_id="OUT")) + "\n")
    os.symlink(outside / "secret.jsonl", landing / "pos" / "outside.jsonl")
    os.symlink(landing / "pos" / "gone.jsonl", landing / "pos" / "broken.jsonl")
    (landing / "erp").mkdir(exist_ok=True)
    os.symlink(landing / "pos" / "good.jsonl", landing / "erp" / "link.jsonl")
    os.symlink(outside, landing / "linked_folder")
    write_text_file(landing / "POS" / "a.jsonl", "{}\n")
    write_text_file(landing / "backup" / "old.jsonl", "{}\n")
    write_text_file(landing / "stray.jsonl", "{}\n")
    write_text_file(landing / "reference" / "events.jsonl", "{}\n")
    write_text_file(landing / "reference" / "notes.txt", "hello\n")
    for name in range(3):  # the simulator's folders: one row each, whatever they hold
        write_text_file(landing / "_truth" / f"{name}.json", "{}")
    write_text_file(landing / ".DS_Store", "x")


EXPECTED_HOSTILE_MANIFEST = {
    ".DS_Store": ("ignored", "hidden_name", "file"),
    "POS": ("unknown", "uppercase_source_folder", "folder"),
    "_truth": ("ignored", "underscore_name", "folder"),
    "backup": ("unknown", "not_a_source_folder", "folder"),
    "erp/link.jsonl": ("loaded", None, "symlink"),  # inside the landing folder: read
    "linked_folder": ("unknown", "symlink_outside_landing", "symlink"),
    "pos/.hidden.jsonl": ("ignored", "hidden_name", "file"),
    "pos/_partial.jsonl": ("ignored", "underscore_name", "file"),
    "pos/broken.jsonl": ("refused", "unreadable_file:broken_symlink", "symlink"),
    "pos/fifo.jsonl": ("unknown", "special_file", "fifo"),
    "pos/folder.jsonl": ("unknown", "folder_named_like_an_event_file", "folder"),
    "pos/good.jsonl": ("loaded", None, "file"),
    "pos/late.jsonl.tmp": ("ignored", "temporary_file", "file"),
    "pos/nested": ("unknown", "nested_folder", "folder"),
    "pos/outside.jsonl": ("refused", "unreadable_file:symlink_outside_landing", "symlink"),
    "pos/x.json": ("unknown", "unsupported_file_type", "file"),
    "pos/x.jsonl.gz": ("unknown", "unsupported_file_type", "file"),
    "pos/x.ndjson": ("unknown", "unsupported_file_type", "file"),
    "pos/x.txt": ("unknown", "unsupported_file_type", "file"),
    "reference/events.jsonl": ("unknown", "event_file_in_reference", "file"),
    "reference/locations.csv": ("ignored", "reference_data", "file"),
    "reference/notes.txt": ("unknown", "not_reference_data", "file"),
    "reference/skus.csv": ("ignored", "reference_data", "file"),
    "stray.jsonl": ("unknown", "top_level_file", "file"),
}


def test_every_entry_of_a_hostile_landing_folder_is_in_the_manifest(con, landing, tmp_path):
    hostile_landing(landing, tmp_path / "outside")

    report = ingest.ingest_files(con, landing)

    assert manifest(con) == EXPECTED_HOSTILE_MANIFEST
    # the symlink inside is the same content under another name, read first (erp/ < pos/)
    assert file_counts(con, "erp/link.jsonl") == (1, 1, 0, 0)
    assert file_counts(con, "pos/good.jsonl") == (1, 0, 1, 0)
    assert rows(con, "SELECT event_id FROM raw.inventory_events") == [("G1",)]  # never OUT
    assert [(f.path, f.status) for f in report.files] == [
        ("erp/link.jsonl", "loaded"),
        ("pos/broken.jsonl", "refused"),
        ("pos/good.jsonl", "loaded"),
        ("pos/outside.jsonl", "refused"),
    ]
    assert len(report.entries_with("unknown")) == 13
    assert ingest.accounting_violations(con) == []

    before = table_contents(con)
    again = ingest.ingest_files(con, landing)
    assert table_contents(con) == before
    assert [f.status for f in again.files] == ["skipped", "refused", "skipped", "refused"]


def test_the_scan_never_opens_special_files_or_follows_links_out(landing, tmp_path, monkeypatch):
    hostile_landing(landing, tmp_path / "outside")
    server = socket.socket(socket.AF_UNIX)
    socket_path = landing / "pos" / "s.jsonl"
    if len(str(socket_path)) < 100:  # AF_UNIX paths are short
        server.bind(str(socket_path))
    opened = []
    real_open = os.open
    monkeypatch.setattr(
        os, "open", lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k)
    )

    scan = ingest.scan_landing(landing)
    found = ingest.discover_files(landing)

    server.close()
    assert [f.relative_path for f in scan.event_files] == ["erp/link.jsonl", "pos/good.jsonl"]
    assert [f.relative_path for f in found] == ["erp/link.jsonl", "pos/good.jsonl"]
    assert found[0].path == (landing / "pos" / "good.jsonl").resolve()  # the link's target
    assert {Path(p).name for p in opened} == {"good.jsonl"}  # only to hash it, twice
    if socket_path.exists():
        (entry,) = [e for e in scan.entries if e.relative_path == "pos/s.jsonl"]
        assert (entry.status, entry.reason, entry.entry_type) == (
            "unknown",
            "special_file",
            "socket",
        )


def test_given_files_are_checked_like_the_scan(con, landing, tmp_path):
    hostile_landing(landing, tmp_path / "outside")
    report = ingest.ingest_files(
        con, landing, files=["pos/good.jsonl", "pos/fifo.jsonl", landing / "POS" / "a.jsonl"]
    )
    assert [(f.path, f.status) for f in report.files] == [
        ("pos/broken.jsonl", "refused"),  # recorded by the scan of the landing folder
        ("pos/good.jsonl", "loaded"),
        ("pos/outside.jsonl", "refused"),
    ]
    assert manifest(con)["pos/fifo.jsonl"] == ("unknown", "special_file", "fifo")
    assert "erp/link.jsonl" not in manifest(con)  # an event file not asked for waits its run
    with pytest.raises(ValueError, match="not in the landing folder"):
        ingest.ingest_files(con, landing, files=[tmp_path / "outside" / "secret.jsonl"])


def test_odd_names_and_symlink_loops(con, landing):
    folder = landing / "pos"
    folder.mkdir()
    write_jsonl(Path(os.fsdecode(bytes(folder) + b"/caf\xe9.jsonl")), [event(event_id="A")])
    os.symlink(folder / "loop-b.jsonl", folder / "loop-a.jsonl")
    os.symlink(folder / "loop-a.jsonl", folder / "loop-b.jsonl")

    report = ingest.ingest_files(con, landing)

    assert [(f.path, f.status, f.reason) for f in report.files] == [
        ("pos/caf\\xe9.jsonl", "loaded", None),
        ("pos/loop-a.jsonl", "refused", "unreadable_file:broken_symlink"),
        ("pos/loop-b.jsonl", "refused", "unreadable_file:broken_symlink"),
    ]
    assert rows(con, "SELECT source_file FROM raw.inventory_events") == [("pos/caf\\xe9.jsonl",)]


def test_an_entry_that_changes_kind_replaces_its_row(con, landing):
    fifo = landing / "pos" / "late.jsonl"
    os.makedirs(fifo.parent)
    os.mkfifo(fifo)
    ingest.ingest_files(con, landing)
    assert manifest(con, "path LIKE 'pos/%'") == {
        "pos/late.jsonl": ("unknown", "special_file", "fifo")
    }
    fifo.unlink()
    write_jsonl(fifo, [event()])
    ingest.ingest_files(con, landing)
    assert manifest(con, "path LIKE 'pos/%'") == {"pos/late.jsonl": ("loaded", None, "file")}


# --- refused files: isolated, visible, retried when their content changes ---------------------


def test_refused_files_are_quarantined_and_their_neighbours_load(con, landing):
    write_jsonl(landing / "pos" / "1.jsonl", [event(event_id="A")])
    write_text_file(landing / "pos" / "2.parquet", b"PAR1 not parquet at all PAR1")
    write_text_file(landing / "pos" / "3.csv", "event_id,event_id\nX,Y\n")
    write_csv(landing / "pos" / "4.csv", [event(event_id="B")])

    report = ingest.ingest_files(con, landing)  # one batch: the refusals do not stop it

    assert [(f.path, f.status, f.reason) for f in report.files] == [
        ("pos/1.jsonl", "loaded", None),
        ("pos/2.parquet", "refused", "unreadable_file:parquet"),
        ("pos/3.csv", "refused", "unreadable_file:csv_header"),
        ("pos/4.csv", "loaded", None),
    ]
    assert rows(con, "SELECT event_id FROM raw.inventory_events ORDER BY 1") == [("A",), ("B",)]
    refused = rows(
        con,
        "SELECT path, records_read, size_bytes, sha256 IS NOT NULL, error_message "
        "FROM raw.ingested_files WHERE status = 'refused' ORDER BY 1",
    )
    assert [r[:4] for r in refused] == [
        ("pos/2.parquet", None, 28, True),
        ("pos/3.csv", None, 22, True),
    ]
    assert refused[1][4] == "UnreadableFile: CSV header repeats a column: 'event_id,event_id'"
    quarantined = rows(
        con,
        "SELECT source_file, source_line, source_system, event_id, reason, raw_record "
        "FROM raw.quarantined_events ORDER BY 1",
    )
    assert [q[:5] for q in quarantined] == [
        ("pos/2.parquet", 0, "pos", None, "unreadable_file:parquet"),
        ("pos/3.csv", 0, "pos", None, "unreadable_file:csv_header"),
    ]
    assert quarantined[1][5].startswith("whole file refused (csv, 22 bytes, sha256 ")
    assert ingest.accounting_violations(con) == []
    assert ingest.store_totals(con)["refused_files"] == 2

    # a rerun (and a replay of the quarantine) changes nothing
    before = table_contents(con)
    assert [f.status for f in ingest.ingest_files(con, landing).files] == ["skipped"] * 4
    assert ingest.replay_quarantine(con).examined == 0
    ingest.ingest_files(con, landing, retry_refused=True)  # same content, same refusal
    assert table_contents(con) == before

    # fixed: loaded, and the whole-file quarantine rows are marked as superseded
    write_parquet(landing / "pos" / "2.parquet", [event(event_id="C")])
    write_text_file(landing / "pos" / "3.csv", "event_id,schema_version\nX,1\n")
    report = ingest.ingest_files(con, landing)
    assert [(f.path, f.status) for f in report.files if f.status != "skipped"] == [
        ("pos/2.parquet", "loaded"),
        ("pos/3.csv", "loaded"),
    ]
    assert file_counts(con, "pos/3.csv") == (1, 0, 0, 1)  # X misses its event_type
    assert rows(
        con,
        "SELECT source_file, source_line, reason, replayed_at IS NOT NULL "
        "FROM raw.quarantined_events ORDER BY 1, 2",
    ) == [
        ("pos/2.parquet", 0, "unreadable_file:parquet", True),
        ("pos/3.csv", 0, "unreadable_file:csv_header", True),
        ("pos/3.csv", 2, "missing_field:event_type", False),
    ]
    assert ingest.store_totals(con)["refused_files"] == 0
    assert ingest.accounting_violations(con) == []


def test_a_file_that_cannot_be_read_is_refused_and_retried_each_run(con, landing, monkeypatch):
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A")])
    write_jsonl(landing / "pos" / "b.jsonl", [event(event_id="B")])
    real_read = staging.read_landed

    def read(path):
        if path.name == "b.jsonl":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(staging, "read_landed", read)
    report = ingest.ingest_files(con, landing)
    assert [(f.path, f.status, f.reason) for f in report.refused] == [
        ("pos/b.jsonl", "refused", "unreadable_file:io_error")
    ]
    before = table_contents(con)
    ingest.ingest_files(con, landing, retry_refused=True)
    assert table_contents(con) == before  # the same refusal is not written twice

    monkeypatch.undo()
    ingest.ingest_files(con, landing, retry_refused=True)
    assert rows(con, "SELECT event_id FROM raw.inventory_events ORDER BY 1") == [("A",), ("B",)]


def test_a_data_error_while_writing_refuses_only_that_file(con, landing, monkeypatch):
    land_files_a_b_c(landing)
    real_insert = engine.insert_events

    def insert(con, now):  # pretend B holds a value the store's column cannot take
        if rows(con, "SELECT count(*) FROM ingest_checked WHERE event_id = 'B'")[0][0]:
            raise duckdb.ConversionException("Could not convert 'B'")
        return real_insert(con, now)

    monkeypatch.setattr(engine, "insert_events", insert)
    report = ingest.ingest_files(con, landing)
    assert_only_b_refused(con, report)


def test_an_error_of_the_database_propagates_and_records_nothing(con, landing, monkeypatch):
    write_jsonl(landing / "pos" / "a.jsonl", [event()])

    def insert(con, now):
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(engine, "insert_events", insert)
    with pytest.raises(duckdb.IOException):
        ingest.ingest_files(con, landing)
    assert table_counts(con) == dict.fromkeys(RAW_TABLES, 0)


def test_a_loaded_file_whose_content_changes_is_refused(con, landing):
    path = write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A")])
    ingest.ingest_files(con, landing)
    write_jsonl(path, [event(event_id="A"), event(event_id="B")])
    report = ingest.ingest_files(con, landing)
    (refused,) = report.refused
    assert refused.reason == "unreadable_file:changed_after_load"
    assert rows(con, "SELECT event_id FROM raw.inventory_events") == [("A",)]
    assert rows(
        con, "SELECT status FROM raw.ingested_files WHERE path = 'pos/a.jsonl' ORDER BY 1"
    ) == [("loaded",), ("refused",)]
    assert ingest.accounting_violations(con) == []  # the whole-file row is not a record of it

    write_jsonl(path, [event(event_id="A")])  # put back as it was loaded: nothing is refused
    ingest.ingest_files(con, landing)
    assert rows(con, "SELECT status FROM raw.ingested_files WHERE path = 'pos/a.jsonl'") == [
        ("loaded",)
    ]
    assert rows(con, "SELECT reason, replayed_at IS NOT NULL FROM raw.quarantined_events") == [
        ("unreadable_file:changed_after_load", True)
    ]


def test_copies_in_one_run_are_each_loaded(con, landing):
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A"), event(event_id="B")])
    (landing / "wms").mkdir()
    shutil.copy(landing / "pos" / "a.jsonl", landing / "wms" / "a.jsonl")
    report = ingest.ingest_files(con, landing)
    assert [(f.path, f.records_stored, f.records_duplicate) for f in report.files] == [
        ("pos/a.jsonl", 2, 0),
        ("wms/a.jsonl", 0, 2),
    ]


def test_a_manifest_of_an_older_warehouse_is_migrated(tmp_path, landing):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA raw")
    con.execute("""
CREATE TABLE raw.ingested_files (
    path VARCHAR NOT NULL, source_system VARCHAR NOT NULL, file_format VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL, sha256 VARCHAR NOT NULL, records_read BIGINT,
    records_stored BIGINT, records_duplicate BIGINT, records_quarantined BIGINT,
    status VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL)""")
    con.execute("""
INSERT INTO raw.ingested_files VALUES
    ('pos/old.jsonl', 'pos', 'jsonl', 10, 'aa', 1, 1, 0, 0, 'loaded', '2026-03-01'),
    ('pos/bad.csv', 'pos', 'csv', 5, 'bb', NULL, NULL, NULL, NULL, 'failed', '2026-03-01')""")
    write_text_file(landing / "pos" / "bad.csv", f"{HEADER}\r" + CSV_LINE.format(id="M", case="T"))

    ingest.load_reference(con, landing)  # ensure_schema migrates
    report = ingest.ingest_files(con, landing)

    nullable = rows(
        con,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'ingested_files' "
        "AND is_nullable = 'NO' ORDER BY 1",
    )
    assert nullable == [("loaded_at",), ("path",), ("status",)]
    # the old failure is retried: the CR-only CSV now loads
    assert [(f.path, f.status, f.records_stored) for f in report.files] == [
        ("pos/bad.csv", "loaded", 1)
    ]
    assert manifest(con, "path LIKE 'pos/%'") == {
        "pos/bad.csv": ("loaded", None, "file"),
        "pos/old.jsonl": ("loaded", None, None),
    }


# --- values as sent -----------------------------------------------------------------------------


def test_csv_null_words_are_values(con, landing):
    write_csv(
        landing / "pos" / "words.csv",
        [
            event(event_id="A", case_id="NA"),
            event(event_id="B", case_id="N/A"),
            event(event_id="C", case_id="null"),
            event(event_id="D", case_id="NaN"),
            event(event_id="E", case_id=DROP),  # an empty cell is missing
            event(
                event_id="F",
                event_type="inventory_adjusted",
                quantity=-1,
                channel=DROP,
                reason_code="NA",
            ),
        ],
    )
    ingest.ingest_files(con, landing)
    assert rows(con, "SELECT event_id, case_id FROM raw.inventory_events ORDER BY 1") == [
        ("A", "NA"),
        ("B", "N/A"),
        ("C", "null"),
        ("D", "NaN"),
    ]
    assert rows(con, "SELECT source_line, reason FROM raw.quarantined_events ORDER BY 1") == [
        (6, "missing_field:case_id"),
        (7, "invalid_value:reason_code"),  # NA is not a reason code, but it was sent
    ]


# --- CSV: bad records quarantined, the rest kept -----------------------------------------------


def ingest_one(con, landing: Path, name: str, data: str | bytes):
    write_text_file(landing / "pos" / name, data)
    (report,) = ingest.ingest_files(con, landing, files=[f"pos/{name}"]).files
    return report


def stored_lines(con) -> list[tuple]:
    return rows(con, "SELECT event_id, source_line, case_id FROM raw.inventory_events ORDER BY 2")


def quarantined_lines(con) -> list[tuple]:
    return rows(
        con,
        "SELECT source_line, reason, raw_record FROM raw.quarantined_events "
        "WHERE source_line > 0 ORDER BY 1",
    )


def test_csv_quoted_value_that_never_ends_hides_only_its_line(con, landing):
    broken = CSV_LINE.format(id="B", case='"never closed')
    text = "\n".join(
        [HEADER, CSV_LINE.format(id="A", case="T"), broken, CSV_LINE.format(id="C", case="T")]
    )
    report = ingest_one(con, landing, "open.csv", text + "\n")
    assert (report.status, report.records_read, report.records_stored) == ("loaded", 3, 2)
    assert stored_lines(con) == [("A", 2, "T"), ("C", 4, "T")]
    assert quarantined_lines(con) == [(3, "malformed_record", broken)]


def test_csv_with_old_mac_line_ends_is_read(con, landing):
    lines = [
        HEADER,
        CSV_LINE.format(id="A", case='"two\rlines"'),
        "",
        CSV_LINE.format(id="B", case="T"),
    ]
    report = ingest_one(con, landing, "mac.csv", "\r".join(lines) + "\r")
    assert (report.records_read, report.records_stored) == (2, 2)
    assert stored_lines(con) == [("A", 2, "two\rlines"), ("B", 5, "T")]


def test_csv_bare_carriage_return_makes_its_record_malformed(con, landing):
    bare = CSV_LINE.format(id="B", case="T\r1")
    text = "\n".join(
        [HEADER, CSV_LINE.format(id="A", case="T"), bare, CSV_LINE.format(id="C", case="T")]
    )
    report = ingest_one(con, landing, "cr.csv", text + "\n")
    assert (report.records_read, report.records_stored, report.records_quarantined) == (3, 2, 1)
    assert stored_lines(con) == [("A", 2, "T"), ("C", 4, "T")]
    assert quarantined_lines(con) == [(3, "malformed_record", bare)]


def test_csv_bare_quote_is_a_character_of_the_value(con, landing):
    """As pyarrow's parser and Python's csv read it; here it also unbalances the quotes of a
    file with a value spanning lines, which used to refuse the whole file."""
    lines = [
        HEADER,
        CSV_LINE.format(id="A", case='5" box'),
        CSV_LINE.format(id="B", case='"two\nlines"'),
        CSV_LINE.format(id="C", case="T"),
    ]
    report = ingest_one(con, landing, "quote.csv", "\n".join(lines) + "\n")
    assert (report.status, report.records_stored) == ("loaded", 3)
    assert stored_lines(con) == [("A", 2, '5" box'), ("B", 3, "two\nlines"), ("C", 5, "T")]


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_csv_with_only_a_header_is_loaded_with_no_records(con, landing, ending):
    report = ingest_one(con, landing, "header.csv", HEADER + ending)
    assert (report.status, report.records_read) == ("loaded", 0)
    assert rows(con, "SELECT header FROM raw.csv_file_headers") == [(HEADER,)]


def test_tolerant_csv_path_reads_valid_files_like_the_fast_path():
    """The fallback parser agrees with pyarrow on everything both can read."""
    text = "\r\n".join(
        [
            HEADER,
            CSV_LINE.format(id="A", case='"quoted, with ""quotes"""'),
            "",
            CSV_LINE.format(id="B", case='"two\r\nlines"'),
            "B2,1,sale,pos",  # too few cells
            CSV_LINE.format(id="C", case='"ab"cd'),
            CSV_LINE.format(id="D", case=""),
        ]
    ).encode()
    data = b"\xef\xbb\xbf" + text + b"\r\n"
    fast = readers._parse_csv_fast(data.removeprefix(b"\xef\xbb\xbf"))
    tolerant = readers._parse_csv_tolerantly(data.removeprefix(b"\xef\xbb\xbf"))

    def strip(table: pa.Table) -> list[dict]:
        return [
            {k: v.rstrip("\r\n") if k == "raw_record" and v else v for k, v in row.items()}
            for row in table.sort_by("source_line").to_pylist()
        ]

    assert fast.header == tolerant.header == HEADER
    assert strip(fast.rows) == strip(tolerant.rows)
    assert strip(fast.texts) == strip(tolerant.texts)
    cases = [row["case_id"] for row in strip(tolerant.rows)]
    assert cases == ['quoted, with "quotes"', "two\r\nlines", None, "abcd", None]


# --- Parquet with columns of another physical type ---------------------------------------------


def parquet_of(path: Path, columns: dict[str, pa.Array]) -> Path:
    base = {
        name: pa.array(
            [event(event_id=f"P{i}").get(name) for i in range(3)],
            pa.int64() if name == "quantity" else pa.string(),
        )
        for name in CANONICAL_FIELDS
        if name not in ("attributes", "to_location_id", "reason_code")
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(base | columns), path)
    return path


def test_parquet_nested_values_are_judged_as_json(con, landing):
    parquet_of(
        landing / "pos" / "nested.parquet",
        {
            # a STRUCT attributes is an object: acceptable
            "attributes": pa.array(
                [{"basket": "B1", "lines": 2}, None, {"basket": "B3", "lines": 1}]
            ),
            # a LIST sku matches no known SKU
            "sku": pa.array([["SKU1"], ["SKU1"], ["SKU1", "SKU2"]]),
        },
    )
    write_csv(landing / "pos" / "neighbour.csv", [event(event_id="N")])
    report = ingest.ingest_files(con, landing)
    assert [(f.path, f.status, f.records_quarantined) for f in report.files] == [
        ("pos/neighbour.csv", "loaded", 0),
        ("pos/nested.parquet", "loaded", 3),
    ]
    found = rows(
        con, "SELECT source_line, reason, raw_record FROM raw.quarantined_events ORDER BY 1"
    )
    assert [(line, reason) for line, reason, _ in found] == [
        (1, "unknown_sku"),
        (2, "unknown_sku"),
        (3, "unknown_sku"),
    ]
    first = json.loads(found[0][2])
    assert (first["sku"], first["attributes"]) == (["SKU1"], {"basket": "B1", "lines": 2})


def test_parquet_struct_attributes_are_stored_as_an_object(con, landing):
    parquet_of(
        landing / "pos" / "struct.parquet",
        {"attributes": pa.array([{"basket": "B1"}, {"basket": "B2"}, None])},
    )
    ingest.ingest_files(con, landing)
    assert rows(con, "SELECT event_id, attributes FROM raw.inventory_events ORDER BY 1") == [
        ("P0", '{"basket":"B1"}'),
        ("P1", '{"basket":"B2"}'),
        ("P2", "{}"),
    ]


def test_parquet_binary_value_that_is_not_utf8_makes_its_row_malformed(con, landing):
    parquet_of(
        landing / "pos" / "binary.parquet",
        {"case_id": pa.array([b"T0", b"T\xff", b"T2"], pa.binary())},
    )
    report = ingest.ingest_files(con, landing)
    assert (report.files[0].records_stored, report.files[0].records_quarantined) == (2, 1)
    assert rows(con, "SELECT event_id, case_id FROM raw.inventory_events ORDER BY 1") == [
        ("P0", "T0"),
        ("P2", "T2"),
    ]
    ((line, reason, raw),) = rows(
        con, "SELECT source_line, reason, raw_record FROM raw.quarantined_events"
    )
    assert (line, reason, json.loads(raw)["event_id"]) == (2, "malformed_record", "P1")


def test_parquet_raw_text_of_a_type_duckdb_cannot_read_is_rendered_in_python(con, landing):
    parquet_of(
        landing / "pos" / "half.parquet",
        {
            "sku": pa.array(["SKU404", "SKU1", "SKU1"]),
            "weight": pa.array([1.5, 2.0, 0.5], pa.float16()),
        },
    )
    ingest.ingest_files(con, landing)
    ((raw,),) = rows(con, "SELECT raw_record FROM raw.quarantined_events")
    assert json.loads(raw) == event(event_id="P0", sku="SKU404") | {"weight": 1.5}


# --- the tiny scenario with damaged files and odd entries --------------------------------------


def test_tiny_scenario_with_hostile_additions_loads_every_valid_record(tmp_path):
    landing = tmp_path / "landing"
    summary = simulator.simulate(simulator.get_scenario("tiny", seed=7), landing)
    truth = json.loads(summary.ground_truth_path.read_text())
    clean_files = sorted(p.relative_to(landing).as_posix() for p in landing.glob("[!_]*/*.*"))
    clean_files = [p for p in clean_files if not p.startswith("reference/")]

    hostile_landing(landing, tmp_path / "outside")
    (landing / "pos" / "good.jsonl").unlink()  # keep the tiny scenario's records only
    (landing / "erp" / "link.jsonl").unlink()
    write_text_file(landing / "pos" / "zz-corrupt.parquet", b"PAR1\x00\x01garbage")
    write_text_file(landing / "pos" / "zz-header.csv", HEADER)
    shutil.copy(landing / "oms" / "2026-03-02.jsonl", landing / "oms" / "zz-copy.jsonl")

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest.load_reference(con, landing)
    report = ingest.ingest_files(con, landing, batch_records=5_000)

    loaded = {f.path for f in report.files if f.status == "loaded"}
    assert set(clean_files) <= loaded
    assert rows(con, "SELECT count(*) FROM raw.inventory_events")[0][0] == truth["events_total"]
    copy_read = rows(
        con,
        "SELECT records_read, records_duplicate FROM raw.ingested_files WHERE path = 'oms/zz-copy.jsonl'",
    )[0]
    assert copy_read[0] == copy_read[1] > 0  # every record of the copy is a duplicate
    assert ingest.accounting_violations(con) == []
    by_status = dict(rows(con, "SELECT status, count(*) FROM raw.ingested_files GROUP BY 1"))
    assert by_status["loaded"] == len(clean_files) + 2  # + the header-only CSV and the copy
    assert by_status["refused"] == 3  # the corrupt Parquet and the two symlinks
    # every entry: tiny's files, the hostile ones (but the two removed), _simulator/, additions
    assert sum(by_status.values()) == len(clean_files) + len(EXPECTED_HOSTILE_MANIFEST) - 2 + 1 + 3
    before = table_contents(con)
    ingest.ingest_files(con, landing)
    assert table_contents(con) == before
    con.close()


# --- Dagster: a refused file warns, the run goes on ------------------------------------------


def test_the_asset_succeeds_and_the_refused_files_check_warns(omnistock_home):
    from orchestration.defs.ingest.assets import inventory_events, reference_data
    from orchestration.defs.ingest.checks import ALL_CHECKS
    from orchestration.resources import resources_for

    landing = omnistock_home.landing_dir
    write_reference(landing)
    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A")])
    write_text_file(landing / "pos" / "b.parquet", b"not parquet")
    write_text_file(landing / "pos" / "notes.txt", "hello")

    result = dg.materialize(
        [reference_data, inventory_events, *ALL_CHECKS],
        resources=resources_for(omnistock_home),
        raise_on_error=False,
    )

    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["accounting_identity"].passed
    refused = checks["refused_files"]
    assert (refused.passed, refused.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert refused.metadata["refused_files"].value == 1
    assert "`pos/b.parquet` | unreadable_file:parquet" in refused.metadata["files"].value
    unknown = checks["unknown_landing_entries"]
    assert (unknown.passed, unknown.metadata["unknown_entries"].value) == (False, 1)
    [manifest_event] = [
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["raw", "ingested_files"]
    ]
    metadata = manifest_event.materialization.metadata
    assert (metadata["files_loaded"].value, metadata["files_refused"].value) == (1, 1)
    assert metadata["entries_ignored"].value == 2
