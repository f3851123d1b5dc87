"""Fuzzing ingestion with hostile landing folders (issue 9, item 6; see hostile_landing.py).

For a few seeds: the `tiny` scenario plus damaged files, bad encodings, odd file-system
entries, extreme values and duplicate storms, ingested with `ingest_files(...,
raise_on_failure=False)`. Asserted: no exception escapes; per loaded file, records read =
stored + duplicates + quarantined, each equal to the rows carrying that source_file; every
record the untouched tiny folder stores (ingested apart, in another DuckDB file) is stored
with the same content; what each planted file must produce where the contract says; a rerun
changes nothing.

Every landing entry in the manifest, timestamp bounds, key-order-blind duplicates and the
entries that once stopped a whole batch ("poison") are asserted in tests of their own.
"""

from __future__ import annotations

import faulthandler
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from hostile_landing import (
    FAMILIES,
    IGNORED,
    LOADED,
    REFUSED,
    UNKNOWN,
    HostileLanding,
    build_hostile_landing,
    write_tiny,
)

from omnistock.ingest import IngestReport, ingest_files, load_reference

SEEDS = (1, 2, 3)
# the entries that stopped a whole batch in issue 9 are fuzzed apart (see their own test)
SURVIVABLE = tuple(family for family in FAMILIES if family != "poison")
HANG_SECONDS = 120  # a FIFO opened for reading blocks forever: fail loudly instead
MANIFEST_STATUSES = {LOADED, REFUSED, IGNORED, UNKNOWN}
# reference data is loaded by load_reference, not through the event manifest
REFERENCE_FILES = {"reference/locations.csv", "reference/skus.csv"}
# processing times change on every run; everything else must not
VOLATILE_COLUMNS = {"ingested_at", "detected_at", "quarantined_at", "loaded_at"}
RAW_TABLES = (
    "inventory_events",
    "duplicate_events",
    "quarantined_events",
    "ingested_files",
    "csv_file_headers",
)


@dataclass
class Ingested:
    """A landing folder ingested into its own warehouse."""

    landing: HostileLanding | None
    warehouse: Path
    report: IngestReport | None
    error: BaseException | None

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def _ingest(landing: Path, warehouse: Path) -> tuple[IngestReport | None, BaseException | None]:
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        with duckdb.connect(str(warehouse)) as con:
            load_reference(con, landing)
            return ingest_files(con, landing, raise_on_failure=False), None
    except Exception as error:  # the assertion is in the tests, with the error shown
        return None, error
    finally:
        faulthandler.cancel_dump_traceback_later()


def state(warehouse: Path) -> dict[str, tuple[int, int]]:
    """(rows, order-free checksum of the non-volatile columns) per raw table."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = {}
        for table in RAW_TABLES:
            columns = [
                f'"{name}"'
                for (name,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if name not in VOLATILE_COLUMNS
            ]
            result[table] = con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(columns)})::hugeint), 0) "
                f"from raw.{table}"
            ).fetchone()
        return result


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The untouched tiny scenario, simulated once for every seed."""
    folder = tmp_path_factory.mktemp("tiny") / "landing"
    write_tiny(folder)
    return folder


@pytest.fixture(scope="module")
def clean(tiny, tmp_path_factory) -> dict[str, int]:
    """event_id -> content hash of every record the untouched tiny folder stores."""
    warehouse = tmp_path_factory.mktemp("clean") / "w.duckdb"
    report, error = _ingest(tiny, warehouse)
    assert error is None and report.files_refused == 0
    return dict(Ingested(None, warehouse, report, None).query(CONTENT_SQL))


CONTENT_SQL = """
select event_id, hash(event_type, source_system, occurred_at, emitted_at, case_id, location_id,
    to_location_id, sku, quantity, channel, reason_code, attributes)
from raw.inventory_events"""

_RUNS: dict[tuple[int, tuple[str, ...]], tuple[Ingested, dict, Ingested]] = {}


def hostile_run(seed: int, families: tuple[str, ...], tiny: Path, base: Path):
    """(first ingestion, raw state after it, the rerun) for one seed, built once per module."""
    key = (seed, families)
    if key not in _RUNS:
        out = base / f"seed{seed}-{len(families)}"
        out.mkdir()
        landing = build_hostile_landing(out, seed, families, tiny=tiny)
        warehouse = out / "w.duckdb"
        first = Ingested(landing, warehouse, *_ingest(landing.landing, warehouse))
        before = state(warehouse)
        rerun = Ingested(landing, warehouse, *_ingest(landing.landing, warehouse))
        _RUNS[key] = (first, before, rerun)
    return _RUNS[key]


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def hostile(request, tiny, runs_dir):
    return hostile_run(request.param, SURVIVABLE, tiny, runs_dir)


# -- what holds today -----------------------------------------------------------------------


def test_no_exception_escapes(hostile):
    first, _, rerun = hostile
    assert first.error is None, repr(first.error)
    assert rerun.error is None, repr(rerun.error)
    failed = {f.path for f in first.report.files if f.status == REFUSED}
    assert failed and failed.isdisjoint(first.landing.tiny_files)


def test_accounting_identity_per_loaded_file(hostile):
    first, _, _ = hostile
    rows = first.query("""
        with placed as (
            select source_file, 'stored' as place from raw.inventory_events
            union all select source_file, 'duplicate' from raw.duplicate_events
            union all select source_file, 'quarantined' from raw.quarantined_events
        ),
        counted as (
            select source_file,
                count(*) filter (where place = 'stored') as stored,
                count(*) filter (where place = 'duplicate') as duplicates,
                count(*) filter (where place = 'quarantined') as quarantined
            from placed group by source_file
        )
        select m.path, m.status, m.records_read, m.records_stored, m.records_duplicate,
            m.records_quarantined, coalesce(c.stored, 0), coalesce(c.duplicates, 0),
            coalesce(c.quarantined, 0)
        from raw.ingested_files m full join counted c on c.source_file = m.path""")
    loaded = [row for row in rows if row[1] == LOADED]
    assert loaded
    for path, _, read, stored, duplicates, quarantined, *found in loaded:
        assert read == stored + duplicates + quarantined, path
        assert (stored, duplicates, quarantined) == tuple(found), path
    # nothing is stored or logged from a file that was not loaded (a refused file may leave
    # a quarantine row saying why), and every row names a file of the manifest
    orphans = [row for row in rows if row[1] != LOADED and (any(row[6:8]) or row[1] is None)]
    assert orphans == []


def test_every_valid_tiny_record_is_stored_as_sent(hostile, clean):
    first, _, _ = hostile
    stored = dict(first.query(CONTENT_SQL))
    assert clean.keys() <= stored.keys()
    assert {event_id: stored[event_id] for event_id in clean} == clean
    assert first.query("select count(*) - count(distinct event_id) from raw.inventory_events") == [
        (0,)
    ]


def test_planted_records_end_where_the_contract_says(hostile):
    first, _, _ = hostile
    stored = {event_id for (event_id,) in first.query("select event_id from raw.inventory_events")}
    for planted in first.landing.planted:
        assert planted.stored <= stored, planted
        if planted.duplicates is not None:
            assert first.query(
                "select count(*) from raw.duplicate_events where source_file = ?", [planted.path]
            ) == [(planted.duplicates,)], planted
        if planted.quarantined:
            reasons = dict(
                first.query(
                    "select reason, count(*) from raw.quarantined_events where source_file = ? "
                    "group by reason",
                    [planted.path],
                )
            )
            assert reasons == planted.quarantined, planted
        if planted.quarantined_any is not None:
            assert first.query(
                "select count(*) from raw.quarantined_events where source_file = ?", [planted.path]
            ) == [(planted.quarantined_any,)], planted
        if planted.records is not None and planted.outcome == LOADED:
            assert first.query(
                "select records_read from raw.ingested_files where path = ? and status = ?",
                [planted.path, LOADED],
            ) == [(planted.records,)], planted


def test_nothing_outside_the_landing_folder_or_in_a_fifo_is_read(hostile):
    first, _, _ = hostile
    fifo = [p.path for p in first.landing.planted if p.what == "FIFO named *.jsonl"]
    assert fifo and first.query(
        "select count(*) from raw.ingested_files where path = ? and records_read > 0", fifo
    ) == [(0,)]
    assert first.query(
        "select count(*) from raw.inventory_events where event_id like ?",
        [f"fz{first.landing.seed}-fs-%"],
    ) == [(0,)]  # no file of the unknown places reached the store


def test_a_rerun_changes_nothing(hostile):
    first, before, rerun = hostile
    assert state(first.warehouse) == before
    assert rerun.report.records_read == 0  # loaded files are skipped, failed ones fail again
    assert LOADED not in {f.status for f in rerun.report.files}


# -- what needs issue 9 items 1-3 -----------------------------------------------------------


def _landing_entries(landing: Path) -> list[str]:
    """Every file, symlink and special file under the landing folder (folders are walked,
    symlinks are not followed)."""
    entries = []
    for folder, folders, files in os.walk(landing):
        for name in files + [f for f in folders if os.path.islink(os.path.join(folder, f))]:
            entries.append(Path(folder, name).relative_to(landing).as_posix())
    return sorted(set(entries) - REFERENCE_FILES)


def test_every_landing_entry_is_in_the_manifest_with_its_outcome(hostile):
    first, _, _ = hostile
    manifest = {
        row[0]: row
        for row in first.query(
            "select path, status, coalesce(error_message, status_reason)"
            " from raw.ingested_files order by loaded_at"
        )
    }

    def covering(entry: str) -> list[tuple]:
        """Manifest rows for the entry itself, a folder holding it (skipped whole, by rule) or,
        for a folder, the entries in it."""
        return [
            row
            for path, row in manifest.items()
            if entry == path
            or entry.startswith(path.rstrip("/") + "/")
            or path.startswith(entry + "/")
        ]

    missing = [e for e in _landing_entries(first.landing.landing) if not covering(e)]
    assert missing == []
    assert {row[1] for row in manifest.values()} <= MANIFEST_STATUSES
    for planted in first.landing.planted:
        assert covering(planted.path), planted
        if planted.outcome is not None:
            assert {row[1] for row in covering(planted.path)} == {planted.outcome}, planted
    for path, status, explanation in manifest.values():
        if status in (REFUSED, IGNORED):
            assert explanation, path  # the error text, or the rule that skipped it
        if status == REFUSED:
            assert first.query(
                "select count(*) > 0 from raw.quarantined_events where source_file = ?", [path]
            ) == [(True,)], path


def test_timestamps_out_of_bounds_are_quarantined(hostile):
    first, _, _ = hostile
    bounds = {k: v for planted in first.landing.planted for k, v in planted.bounds.items()}
    assert bounds
    quarantined = dict(
        first.query(
            "select event_id, reason from raw.quarantined_events where list_contains(?, event_id)",
            [list(bounds)],
        )
    )
    assert quarantined == bounds


def test_attributes_in_another_key_order_are_a_redelivery(hostile):
    first, _, _ = hostile
    [planted] = [p for p in first.landing.planted if p.key_order]
    assert first.query(
        "select count(*) from raw.duplicate_events where source_file = ?", [planted.path]
    ) == [(1,)]


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_entries_that_stopped_a_whole_batch_stop_only_themselves(seed, tiny, runs_dir, clean):
    first, before, rerun = hostile_run(seed, FAMILIES, tiny, runs_dir)
    assert first.error is None, repr(first.error)
    assert clean.keys() <= {e for (e,) in first.query("select event_id from raw.inventory_events")}
    statuses = dict(first.query("select path, status from raw.ingested_files"))
    for planted in first.landing.of("poison"):
        assert statuses.get(planted.path) in MANIFEST_STATUSES, planted
        if planted.outcome is not None:
            assert statuses[planted.path] == planted.outcome, planted
    assert rerun.error is None and state(first.warehouse) == before


def test_generator_is_deterministic_for_a_seed(tmp_path, tiny):
    def planted_files(out: Path) -> dict[str, bytes]:
        landing = build_hostile_landing(out, 5, SURVIVABLE, tiny=tiny).landing
        return {
            path.relative_to(landing).as_posix(): path.read_bytes()
            for path in sorted(landing.rglob("*"))
            if path.is_file() and not path.is_symlink()
        }

    first, second = planted_files(tmp_path / "a"), planted_files(tmp_path / "b")
    assert first.keys() == second.keys()
    # the only wall-clock value is the "now + 8 days" timestamp in the timestamps file
    differing = [path for path in first if first[path] != second[path]]
    assert differing in ([], ["erp/zz-5-timestamps.jsonl"])
