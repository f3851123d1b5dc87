"""Property test of the record validator (Hypothesis): whatever JSON value any field of a record
holds, with any extra keys and any attributes, ingesting a JSONL file of such records never
raises, and every record is stored, logged as a duplicate or quarantined with a documented
reason; the per-file counts add up; a stored record's times lie in the accepted window, were
written with an offset within ±14:00 and hold the instant written; and a copy of a record with
its keys (and its attributes' keys, at any depth) in another order is judged like the record
itself (stored → duplicate).

One DuckDB file for the whole test; each example is one new file of many records, loaded on
top of the previous ones, so duplicates and conflicts across files are exercised too.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import LOCATIONS, SKUS, event, write_reference

from omnistock import ingest
from omnistock.config import SOURCE_SYSTEMS
from omnistock.ingest import validation
from omnistock.ingest.rules import CANONICAL_FIELDS, CHANNELS, EVENT_RULES, QUARANTINE_REASONS

INGESTED_AT = datetime(2026, 3, 10, 12, 0, 0)
EARLIEST, LATEST = datetime(2000, 1, 1), INGESTED_AT + timedelta(days=7)  # the defaults
ABSENT = object()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)

TIMESTAMP_EDGES = [
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999999Z",
    "2000-01-01T00:00:00Z",
    "2026-03-17T12:00:00Z",
    "2026-03-17T12:00:00.000001Z",
    "2026-03-01T10:00:00+24:00",
    "2026-03-01T10:00:00+14:01",
    "2026-03-01T10:00:00-14:00",
    "2026-03-01T10:00:00+99:99",
    "2026-02-29T10:00:00Z",
    "2026-03-01T24:00:00Z",
    "2026-03-01 10:00:00,5+0530",
    "",
]


def with_offset(moment: datetime, minutes: int) -> str:
    return moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()


any_offset = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1)  # Python's limit
timestamps = (
    st.sampled_from(TIMESTAMP_EDGES)
    | st.builds(
        with_offset,
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        any_offset,
    )
    | st.builds(  # near the window, where only the offset decides
        with_offset,
        st.datetimes(min_value=datetime(2026, 2, 20), max_value=datetime(2026, 3, 17)),
        any_offset,
    )
)

# Edge and ordinary values per field; a record starts valid and then some of its fields are
# replaced by one of these, dropped, or given any JSON value at all.
ATTRIBUTE_KEYS = sorted({key for rule in EVENT_RULES.values() for key in rule.attribute_keys})
event_ids = st.sampled_from(["A", "B", "C", "D"]) | st.from_regex(
    r"[A-Za-z0-9_.:-]{1,12}", fullmatch=True
)
EDGES = {
    "event_id": event_ids | st.sampled_from(["", "x" * 65, "has space"]),
    "schema_version": st.sampled_from(["1", "2", "3", ""]),
    "event_type": st.sampled_from([*sorted(EVENT_RULES), "teleported"]),
    "source_system": st.sampled_from([*SOURCE_SYSTEMS, "POS", "mainframe"]),
    "occurred_at": timestamps,
    "emitted_at": timestamps,
    "case_id": st.sampled_from(["T1", "T2", ""]),
    "location_id": st.sampled_from([row[0] for row in LOCATIONS] + ["S999", ""]),
    "to_location_id": st.sampled_from([row[0] for row in LOCATIONS] + ["DC99"]),
    "sku": st.sampled_from([row[0] for row in SKUS] + ["SKU404"]),
    "quantity": st.integers() | st.sampled_from([0, -1, 2**63, -(2**63) - 1, "5", 1.5]),
    "channel": st.sampled_from([*CHANNELS, "carrier_pigeon"]),
    "reason_code": st.sampled_from(
        sorted({code for rule in EVENT_RULES.values() for code in rule.reason_codes})
    ),
    "attributes": st.dictionaries(st.sampled_from([*ATTRIBUTE_KEYS, "note"]), json_values)
    | st.dictionaries(st.text(max_size=6), json_values, max_size=3).map(json.dumps),
}
QUANTITIES = {
    "positive": st.integers(min_value=1, max_value=5),
    "nonzero": st.integers(min_value=-3, max_value=3).filter(bool),
    "non_negative": st.integers(min_value=0, max_value=5),
}
extra_keys = st.dictionaries(
    st.sampled_from(["site_id", "item", "Event_ID", "attributes2"]) | st.text(max_size=6),
    json_values,
    max_size=3,
)


@st.composite
def records(draw) -> dict:
    """A valid event of any type (version 1 or 2), often with a time from anywhere, then up to
    three fields changed, and extra keys."""
    event_type = draw(st.sampled_from(sorted(EVENT_RULES)))
    rule = EVENT_RULES[event_type]
    occurred = draw(st.datetimes(min_value=datetime(2026, 2, 1), max_value=LATEST))
    emitted = min(occurred + timedelta(seconds=draw(st.integers(0, 600))), LATEST)
    record = {
        "event_id": draw(event_ids),
        "schema_version": "1",
        "event_type": event_type,
        "source_system": draw(st.sampled_from(SOURCE_SYSTEMS)),
        "occurred_at": occurred.isoformat() + "Z",
        "emitted_at": emitted.isoformat() + "Z",
        "case_id": draw(st.sampled_from(["T1", "T2"])),
        "location_id": draw(st.sampled_from([row[0] for row in LOCATIONS])),
        "to_location_id": "DC01",
        "sku": draw(st.sampled_from([row[0] for row in SKUS])),
        "quantity": draw(QUANTITIES[rule.quantity_rule]),
        "channel": draw(st.sampled_from(CHANNELS)),
        "attributes": {key: draw(json_values) for key in rule.attribute_keys}
        | draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3)),
    }
    if rule.reason_codes:
        record["reason_code"] = draw(st.sampled_from(rule.reason_codes))
    for name in ("occurred_at", "emitted_at"):  # one in six: any time, any offset
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            record[name] = draw(timestamps)
    for name in draw(st.lists(st.sampled_from(CANONICAL_FIELDS), max_size=3, unique=True)):
        record[name] = draw(st.one_of(st.just(ABSENT), json_values, EDGES[name]))
    record = {name: value for name, value in record.items() if value is not ABSENT}
    if draw(st.booleans()) and record.get("schema_version") == "1":  # SPEC 4.3 drift
        record["schema_version"] = "2"
        record["site_id"] = record.pop("location_id", None)
        item = {"sku": record.pop("sku", None), "qty": record.pop("quantity", None)}
        record["item"] = {key: value for key, value in item.items() if value is not None}
    for key, value in draw(extra_keys).items():
        record.setdefault(key, value)
    return record


def reordered(record: dict) -> dict:
    """The record with its keys, and the keys of its attributes object at every depth, in
    reverse order (other fields' values are left as they are: only attributes are JSON)."""

    def reverse(value):
        if isinstance(value, dict):
            return {key: reverse(value[key]) for key in reversed(value)}
        if isinstance(value, list):
            return [reverse(item) for item in value]
        return value

    return {
        key: reverse(record[key]) if key == "attributes" else record[key]
        for key in reversed(record)
    }


def expected_utc(written: str) -> datetime | None:
    """What a stored timestamp must be, by Python's reading of what was written: its offset
    within ±14:00 (checked here), the instant in UTC."""
    offset = re.search(r"([+-])([0-9]{2}):?([0-9]{2})?$", written)
    if offset:
        assert int(offset[2]) * 60 + int(offset[3] or 0) <= 14 * 60, written
    moment = datetime.fromisoformat(written.replace(",", "."))
    return moment.astimezone(UTC).replace(tzinfo=None)


def line_outcomes(con: duckdb.DuckDBPyConnection, path: str) -> dict[int, str]:
    """Per line of `path`: 'stored', 'duplicate' or the quarantine reason."""
    found = con.execute(
        """
SELECT source_line, 'stored' FROM raw.inventory_events WHERE source_file = $path
UNION ALL SELECT source_line, 'duplicate' FROM raw.duplicate_events WHERE source_file = $path
UNION ALL SELECT source_line, reason FROM raw.quarantined_events WHERE source_file = $path""",
        {"path": path},
    ).fetchall()
    outcomes = dict(found)
    assert len(outcomes) == len(found), "a line has more than one outcome"
    return outcomes


def test_any_record_is_stored_or_quarantined_and_counts_add_up(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(validation, "utc_now", lambda: INGESTED_AT)
    monkeypatch.delenv("OMNISTOCK_EARLIEST_TIMESTAMP", raising=False)
    monkeypatch.delenv("OMNISTOCK_MAX_FUTURE_DAYS", raising=False)
    landing = tmp_path / "landing"
    write_reference(landing)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest.load_reference(con, landing)
    file_numbers = itertools.count()

    @settings(
        max_examples=60,
        derandomize=True,  # the same examples on every run; CI stays reproducible
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        batch=st.lists(records(), min_size=1, max_size=25),
        copies=st.lists(st.integers(min_value=0), max_size=5),
        ensure_ascii=st.booleans(),
    )
    def check(batch: list[dict], copies: list[int], ensure_ascii: bool) -> None:
        number = next(file_numbers)
        path = f"pos/f{number:04d}.jsonl"
        # a valid record of its own makes every file's content new (so none is skipped)
        probe = event(event_id=f"probe-{number}")
        copied = [batch[index % len(batch)] for index in copies]
        lines = [probe, *batch, *map(reordered, copied)]
        (landing / path).parent.mkdir(parents=True, exist_ok=True)
        (landing / path).write_text(
            "".join(json.dumps(record, ensure_ascii=ensure_ascii) + "\n" for record in lines),
            encoding="utf-8",
        )

        report = ingest.ingest_files(con, landing, [landing / path])

        (file_report,) = report.files
        assert (file_report.status, file_report.records_read) == ("loaded", len(lines))
        placed = (
            file_report.records_stored
            + file_report.records_duplicate
            + file_report.records_quarantined
        )
        assert placed == len(lines)
        outcomes = line_outcomes(con, path)
        assert sorted(outcomes) == list(range(1, len(lines) + 1))
        assert set(outcomes.values()) - {"stored", "duplicate"} <= set(QUARANTINE_REASONS)
        assert sum(o == "stored" for o in outcomes.values()) == file_report.records_stored
        assert sum(o == "duplicate" for o in outcomes.values()) == file_report.records_duplicate
        assert outcomes[1] == "stored"  # the probe
        # a reordered copy is judged like its original, except that a stored one repeats
        first_copy_line = 2 + len(batch)
        for offset, index in enumerate(copies):
            original = outcomes[2 + index % len(batch)]
            expected = "duplicate" if original == "stored" else original
            assert outcomes[first_copy_line + offset] == expected
        stored_times = con.execute(
            "SELECT source_line, occurred_at, emitted_at FROM raw.inventory_events "
            "WHERE source_file = ?",
            [path],
        ).fetchall()
        for line, *times in stored_times:
            for name, stored in zip(("occurred_at", "emitted_at"), times, strict=True):
                assert EARLIEST <= stored <= LATEST
                assert stored == expected_utc(lines[line - 1][name])

    check()
    assert ingest.accounting_violations(con) == []
    assert ingest.duplicate_event_ids(con) == 0
    # the examples reached every kind of outcome (the probes aside)
    reached = con.execute("""
SELECT (SELECT count(*) FROM raw.inventory_events WHERE NOT starts_with(event_id, 'probe-')),
    (SELECT count(*) FROM raw.duplicate_events),
    (SELECT count(DISTINCT reason) FROM raw.quarantined_events)""").fetchone()
    print(
        reached,
        con.execute(
            "select reason, count(*) from raw.quarantined_events group by 1 order by 2 desc"
        ).fetchall(),
    )
    assert min(reached) > 0
    assert set(CANONICAL_FIELDS) == set(EDGES)
    con.close()
