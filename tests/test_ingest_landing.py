"""Landing folder discovery and reference data loading."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from omnistock import ingest

LOCATIONS_CSV = (
    "location_id,location_type,region,name\nS001,store,north,Store 1\nDC01,dc,north,DC 1\n"
)
SKUS_CSV = "sku,category,unit_cost,unit_price,abc_class\nSKU1,shoes,10.5,25,A\n"


def touch(path: Path, text: str = "{}\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_discover_files_sees_only_event_files_in_source_folders(tmp_path):
    landing = tmp_path / "landing"
    wanted = [
        touch(landing / "pos" / "2026-03-01T00.jsonl", "one\n"),
        touch(landing / "pos" / "2026-03-01T01.csv"),
        touch(landing / "erp" / "2026-03-01T00.parquet"),
    ]
    for ignored in (
        "pos/2026-03-01T02.jsonl.tmp",  # still being written
        "pos/.hidden.jsonl",
        "pos/_partial.jsonl",
        "pos/notes.txt",
        "pos/nested/2026-03-01T03.jsonl",
        "_truth/ground_truth.json",
        "_simulator/state.jsonl",
        "reference/locations.csv",
        "unknown_system/2026-03-01T00.jsonl",
        "stray.jsonl",
    ):
        touch(landing / ignored)

    found = ingest.discover_files(landing)

    assert [f.relative_path for f in found] == [
        "erp/2026-03-01T00.parquet",
        "pos/2026-03-01T00.jsonl",
        "pos/2026-03-01T01.csv",
    ]
    first = found[1]
    assert first.path == wanted[0].resolve()
    assert (first.source_system, first.file_format, first.size) == ("pos", "jsonl", 4)
    assert first.sha256 == hashlib.sha256(b"one\n").hexdigest()


def test_discover_files_reuses_known_hashes_of_unchanged_files(tmp_path):
    path = touch(tmp_path / "pos" / "a.jsonl")
    stat = path.stat()
    known = {"pos/a.jsonl": ["cafe", stat.st_size, stat.st_mtime_ns]}
    assert ingest.discover_files(tmp_path, known=known)[0].sha256 == "cafe"
    stale = {"pos/a.jsonl": ["cafe", stat.st_size + 1, stat.st_mtime_ns]}
    assert ingest.discover_files(tmp_path, known=stale)[0].sha256 != "cafe"


def test_discover_files_of_a_missing_folder_is_empty(tmp_path):
    assert ingest.discover_files(tmp_path / "nothing") == []


def test_landing_file_rejects_paths_outside_source_folders(tmp_path):
    touch(tmp_path / "reference" / "x.jsonl")
    with pytest.raises(ValueError, match="source-system folder"):
        ingest.landing_file(tmp_path, "reference/x.jsonl")


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield connection
    connection.close()


def test_load_reference_types_and_replaces(con, tmp_path):
    touch(tmp_path / "reference" / "locations.csv", LOCATIONS_CSV)
    touch(tmp_path / "reference" / "skus.csv", SKUS_CSV)
    assert ingest.load_reference(con, tmp_path) == {"locations": 2, "skus": 1}
    assert con.execute("SELECT * FROM raw.skus").fetchall() == [("SKU1", "shoes", 10.5, 25.0, "A")]
    touch(tmp_path / "reference" / "locations.csv", LOCATIONS_CSV.rsplit("DC01", 1)[0])
    assert ingest.load_reference(con, tmp_path)["locations"] == 1
    assert con.execute("SELECT location_id FROM raw.locations").fetchall() == [("S001",)]


@pytest.mark.parametrize(
    ("locations", "message"),
    [
        (None, "reference file missing"),
        ("location_id,kind,region,name\nS001,store,n,x\n", "expected exactly"),
        ("location_id,location_type,region,name\nS001,store,n,x\nS001,dc,n,y\n", "repeated"),
        ("location_id,location_type,region,name\n,store,n,x\n", "without location_id"),
    ],
)
def test_load_reference_refuses_bad_files_and_changes_nothing(con, tmp_path, locations, message):
    touch(tmp_path / "reference" / "skus.csv", SKUS_CSV)
    touch(tmp_path / "reference" / "locations.csv", LOCATIONS_CSV)
    ingest.load_reference(con, tmp_path)
    if locations is None:
        (tmp_path / "reference" / "locations.csv").unlink()
    else:
        touch(tmp_path / "reference" / "locations.csv", locations)
    with pytest.raises(ingest.ReferenceDataError, match=message):
        ingest.load_reference(con, tmp_path)
    assert con.execute("SELECT count(*) FROM raw.locations").fetchall() == [(2,)]


def test_load_reference_refuses_values_that_do_not_cast(con, tmp_path):
    touch(tmp_path / "reference" / "locations.csv", LOCATIONS_CSV)
    touch(tmp_path / "reference" / "skus.csv", SKUS_CSV.replace("10.5", "ten"))
    with pytest.raises(ingest.ReferenceDataError, match="could not be loaded"):
        ingest.load_reference(con, tmp_path)
    assert con.execute("SELECT count(*) FROM raw.locations").fetchall() == [(0,)]


def test_ensure_schema_is_idempotent_and_creates_every_table(con):
    ingest.ensure_schema(con)
    ingest.ensure_schema(con)
    tables = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    assert tables == {
        "locations",
        "skus",
        "inventory_events",
        "quarantined_events",
        "duplicate_events",
        "ingested_files",
        "csv_file_headers",
    }
    columns = [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'inventory_events' ORDER BY ordinal_position"
        ).fetchall()
    ]
    assert columns == [
        "event_id",
        "schema_version",
        "event_type",
        "source_system",
        "occurred_at",
        "emitted_at",
        "case_id",
        "location_id",
        "to_location_id",
        "sku",
        "quantity",
        "channel",
        "reason_code",
        "attributes",
        "source_file",
        "source_line",
        "ingested_at",
    ]
