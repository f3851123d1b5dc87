"""Record-level bounds and semantic duplicates: the accepted timestamp window, UTC offsets,
and attributes compared as parsed JSON.

The ingest run is fixed at INGESTED_AT = 2026-03-10T12:00:00Z, so with the defaults the
accepted window is [2000-01-01T00:00:00Z, 2026-03-17T12:00:00Z] (7 days later), both ends
included. Every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import pytest
from ingest_helpers import event, quarantined, reason_of, rows, write_jsonl

from omnistock import ingest
from omnistock.config import get_timestamp_window, quarantine_threshold
from omnistock.ingest import validation
from omnistock.ingest.validation import canonical_json_sql, content_hash_sql

INGESTED_AT = datetime(2026, 3, 10, 12, 0, 0)
LATEST = "2026-03-17T12:00:00Z"  # INGESTED_AT + 7 days


@pytest.fixture(autouse=True)
def fixed_ingestion_time(monkeypatch):
    """The ingest run happens at INGESTED_AT (the clock a run takes its time from when none is
    passed in), with the default window."""
    monkeypatch.setattr(validation, "utc_now", lambda: INGESTED_AT)
    monkeypatch.delenv("OMNISTOCK_EARLIEST_TIMESTAMP", raising=False)
    monkeypatch.delenv("OMNISTOCK_MAX_FUTURE_DAYS", raising=False)


def at(occurred_at: str, emitted_at: str | None = None) -> dict:
    """A valid sale at `occurred_at`, emitted then too unless `emitted_at` is given."""
    return event(occurred_at=occurred_at, emitted_at=emitted_at or occurred_at)


# --- the accepted window and offsets ----------------------------------------------------------

BOUND_CASES = [
    # earliest bound, 2000-01-01T00:00:00Z, is accepted; a second or a microsecond before is not
    (at("2000-01-01T00:00:00Z"), None),
    (at("1999-12-31T23:59:59Z"), "invalid_timestamp"),
    (at("1999-12-31T23:59:59.999999Z"), "invalid_timestamp"),
    # the bound applies to the UTC instant: 01:00+01:00 is 00:00Z, 00:59:59+01:00 is 23:59:59Z
    (at("2000-01-01T01:00:00+01:00"), None),
    (at("2000-01-01T00:59:59+01:00"), "invalid_timestamp"),
    # latest bound, INGESTED_AT + 7 days = 2026-03-17T12:00:00Z, is accepted
    (at(LATEST), None),
    (at("2026-03-17T13:00:00+01:00"), None),  # = 12:00Z
    (at("2026-03-17T12:00:00.000001Z"), "invalid_timestamp"),
    (at("2026-03-17T05:00:01-07:00"), "invalid_timestamp"),  # = 12:00:01Z
    # emitted_at is bounded too (occurred a minute before the bound, emitted just past it)
    (at("2026-03-17T11:59:00Z", "2026-03-17T12:00:01Z"), "invalid_timestamp"),
    (at("2026-03-01T10:00:00Z", "1999-12-31T23:59:59Z"), "invalid_timestamp"),
    # far years: refused whether the cast accepts them (0001, 9999, year 0 = 1 BC) or not (10000)
    (at("0001-01-01T00:00:00Z"), "invalid_timestamp"),
    (at("0000-01-01T00:00:00Z"), "invalid_timestamp"),
    (at("9999-12-31T23:59:59Z"), "invalid_timestamp"),
    (at("9999-12-31T23:59:59-14:00"), "invalid_timestamp"),  # = year 10000 in UTC
    (at("10000-01-01T00:00:00Z"), "invalid_timestamp"),
    (at("2026-03-01T10:00:00Z", "9999-12-31T23:59:59Z"), "invalid_timestamp"),
    (at("2026-03-01T10:00:00Z", "0001-01-01T00:00:00Z"), "invalid_timestamp"),
    # offsets: real ones lie within ±14:00
    (at("2026-03-02T00:00:00+14:00"), None),
    (at("2026-03-01T00:00:00-14:00"), None),
    (at("2026-03-02T00:00:00+1400"), None),
    (at("2026-03-02T00:00:00+14"), None),
    (at("2026-03-01T23:59:00+13:59"), None),
    (at("2026-03-02T00:00:00+14:01"), "invalid_timestamp"),
    (at("2026-03-02T00:00:00+1401"), "invalid_timestamp"),
    (at("2026-03-01T00:00:00-14:01"), "invalid_timestamp"),
    (at("2026-03-02T10:00:00+24:00"), "invalid_timestamp"),
    (at("2026-03-02T10:00:00+15"), "invalid_timestamp"),
    (at("2026-03-02T10:00:00+05:60"), "invalid_timestamp"),
    (at("2026-03-02T10:00:00+99:99"), "invalid_timestamp"),
]


@pytest.mark.parametrize(("record", "reason"), BOUND_CASES)
def test_timestamps_outside_the_window_or_offsets_beyond_14_hours_are_refused(
    con, landing, record, reason
):
    assert reason_of(con, landing, record) == reason


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-03-02T00:00:00+14:00", datetime(2026, 3, 1, 10, 0)),
        ("2026-03-01T00:00:00-14:00", datetime(2026, 3, 1, 14, 0)),
        ("2026-03-01T23:59:00+13:59", datetime(2026, 3, 1, 10, 0)),
    ],
)
def test_extreme_offsets_within_14_hours_are_stored_in_utc(con, landing, written, utc):
    assert reason_of(con, landing, at(written)) is None
    assert rows(con, "SELECT occurred_at, emitted_at FROM raw.inventory_events") == [(utc, utc)]


def test_the_window_is_read_from_the_environment(con, landing, monkeypatch):
    # earliest 2026-03-01T00:00:00+01:00 = 2026-02-28T23:00:00Z; latest = INGESTED_AT itself
    monkeypatch.setenv("OMNISTOCK_EARLIEST_TIMESTAMP", "2026-03-01T00:00:00+01:00")
    monkeypatch.setenv("OMNISTOCK_MAX_FUTURE_DAYS", "0")
    write_jsonl(
        landing / "pos" / "a.jsonl",
        [
            at("2026-02-28T23:00:00Z") | {"event_id": "A"},  # line 1: the earliest: stored
            at("2026-02-28T22:59:59Z") | {"event_id": "B"},  # line 2: a second before
            at("2026-03-10T12:00:00Z") | {"event_id": "C"},  # line 3: the run's time: stored
            at("2026-03-10T12:00:01Z") | {"event_id": "D"},  # line 4: a second after
        ],
    )
    ingest.ingest_files(con, landing)
    assert rows(con, "SELECT event_id FROM raw.inventory_events ORDER BY 1") == [("A",), ("C",)]
    assert quarantined(con) == [(2, "invalid_timestamp"), (4, "invalid_timestamp")]


def test_a_naive_earliest_setting_is_utc_and_fractional_days_count():
    window_env = {
        "OMNISTOCK_EARLIEST_TIMESTAMP": "2001-02-03",
        "OMNISTOCK_MAX_FUTURE_DAYS": "0.5",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in window_env.items():
            patch.setenv(name, value)
        window = get_timestamp_window()
    assert window.bounds(INGESTED_AT) == (datetime(2001, 2, 3), datetime(2026, 3, 11, 0, 0))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OMNISTOCK_EARLIEST_TIMESTAMP", "last tuesday"),
        ("OMNISTOCK_EARLIEST_TIMESTAMP", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        ("OMNISTOCK_MAX_FUTURE_DAYS", "-1"),
        ("OMNISTOCK_MAX_FUTURE_DAYS", "nan"),
        ("OMNISTOCK_MAX_FUTURE_DAYS", "a week"),
    ],
)
def test_a_malformed_window_setting_is_a_clear_error(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        get_timestamp_window()


@pytest.mark.parametrize(
    ("setting", "threshold", "passed"),
    [(None, 0.02, False), ("0.5", 0.5, True), ("0.49", 0.49, False)],
)
def test_the_quarantine_check_takes_its_threshold_from_the_settings(
    con, landing, tmp_path, monkeypatch, setting, threshold, passed
):
    """pos: one of two records quarantined (rate 0.5); the check passes at a rate up to the
    threshold (default 0.02)."""
    from dagster_duckdb import DuckDBResource

    from orchestration.defs.ingest.checks import quarantine_rate_by_source

    write_jsonl(landing / "pos" / "a.jsonl", [event(event_id="A"), event(event_id="B", sku="X")])
    ingest.ingest_files(con, landing)
    con.close()  # the check opens the warehouse itself
    if setting is not None:
        monkeypatch.setenv("OMNISTOCK_QUARANTINE_THRESHOLD", setting)
    else:
        monkeypatch.delenv("OMNISTOCK_QUARANTINE_THRESHOLD", raising=False)

    result = quarantine_rate_by_source(DuckDBResource(database=str(tmp_path / "warehouse.duckdb")))

    assert (result.passed, result.metadata["threshold"].value) == (passed, threshold)
    assert result.metadata["worst_rate"].value == 0.5


@pytest.mark.parametrize("value", ["two percent", "-0.1", "1.5", "nan"])
def test_a_malformed_quarantine_threshold_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("OMNISTOCK_QUARANTINE_THRESHOLD", value)
    with pytest.raises(ValueError, match="OMNISTOCK_QUARANTINE_THRESHOLD"):
        quarantine_threshold()


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [("9999-12-31T23:59:59Z", None), ("10000-01-01T00:00:00Z", "invalid_timestamp")],
)
def test_a_huge_future_window_is_capped_not_an_overflow(
    con, landing, monkeypatch, timestamp, reason
):
    # latest = the largest datetime (9999-12-31T23:59:59.999999): year 9999 is accepted then;
    # a five-digit year never is
    monkeypatch.setenv("OMNISTOCK_MAX_FUTURE_DAYS", "1e12")
    assert reason_of(con, landing, at(timestamp)) == reason


def test_replay_applies_the_window_of_its_own_run(con, landing):
    write_jsonl(
        landing / "pos" / "a.jsonl",
        [
            # 8 days and 1 s after INGESTED_AT
            at("2026-03-18T12:00:01Z") | {"event_id": "EARLY"},
            at("9999-12-31T23:59:59Z") | {"event_id": "FAR"},
            at("2026-03-02T10:00:00+24:00") | {"event_id": "OFFSET"},
        ],
    )
    ingest.ingest_files(con, landing)
    assert quarantined(con) == [(line, "invalid_timestamp") for line in (1, 2, 3)]
    # replayed a day later the window ends at 2026-03-18T12:00:00Z: EARLY is 1 s past it
    same = ingest.replay_quarantine(con, ingested_at=INGESTED_AT + timedelta(days=1))
    assert (same.examined, same.stored, same.still_quarantined) == (3, 0, 3)
    # replayed two days later the window ends at 2026-03-19T12:00:00Z: EARLY is stored now
    later = ingest.replay_quarantine(con, ingested_at=INGESTED_AT + timedelta(days=2))
    assert (later.stored, later.still_quarantined_by_reason) == (1, {"invalid_timestamp": 2})
    assert rows(con, "SELECT event_id, occurred_at FROM raw.inventory_events") == [
        ("EARLY", datetime(2026, 3, 18, 12, 0, 1))
    ]
    assert ingest.accounting_violations(con) == []


# --- semantic duplicates ----------------------------------------------------------------------

NESTED = {"basket": "B1", "lines": 2, "tags": ["a", "b"], "payment": {"kind": "card", "amt": 9.5}}
REORDERED = (
    '{"payment": {"amt": 9.5, "kind": "card"}, "tags": ["a", "b"], "lines": 2, "basket": "B1"}'
)


def with_attributes_text(record: dict, attributes: str) -> str:
    """The JSON line of `record` with `attributes` written as the raw JSON text given."""
    return json.dumps(record)[:-1] + f', "attributes": {attributes}}}'


@pytest.mark.parametrize(
    ("attributes", "outcome"),
    [
        (REORDERED, "duplicate"),  # keys in another order, nested too
        (REORDERED.replace('"B1"', '"\\u0042\\u0031"'), "duplicate"),  # "B1" as escapes
        (REORDERED.replace('"lines": 2', '"lines": 2.0'), "duplicate"),  # the same number
        (REORDERED.replace('"lines": 2', '"lines": 2e0'), "duplicate"),
        (REORDERED.replace("9.5", "9.50"), "duplicate"),
        (REORDERED.replace("9.5", "95e-1"), "duplicate"),
        (REORDERED.replace('"lines": 2', '"lines": 3'), "duplicate_conflict"),
        (REORDERED.replace('"lines": 2', '"lines": 2.5'), "duplicate_conflict"),
        (REORDERED.replace('"lines": 2', '"lines": "2"'), "duplicate_conflict"),  # a string
        (REORDERED.replace('["a", "b"]', '["b", "a"]'), "duplicate_conflict"),  # array order
        (REORDERED.replace('"card"', '"cash"'), "duplicate_conflict"),  # a nested value
        (REORDERED.replace(', "kind": "card"', ""), "duplicate_conflict"),  # a nested key less
        (REORDERED.replace("{", '{"extra": null, ', 1), "duplicate_conflict"),  # a key more
        (REORDERED.replace('["a", "b"]', '{"0": "a", "1": "b"}'), "duplicate_conflict"),
    ],
)
def test_attributes_are_compared_as_parsed_json(con, landing, attributes, outcome):
    write_jsonl(landing / "pos" / "1.jsonl", [event(event_id="A", attributes=NESTED)])
    ingest.ingest_files(con, landing)
    write_jsonl(
        landing / "pos" / "2.jsonl", [with_attributes_text(event(event_id="A"), attributes)]
    )
    report = ingest.ingest_files(con, landing)

    second = report.files[-1]
    assert (second.records_duplicate, second.records_quarantined) == (
        (1, 0) if outcome == "duplicate" else (0, 1)
    )
    assert quarantined(con) == ([] if outcome == "duplicate" else [(1, "duplicate_conflict")])
    # the stored attributes stay as first sent, minified
    assert rows(con, "SELECT attributes FROM raw.inventory_events") == [
        (json.dumps(NESTED, separators=(",", ":")),)
    ]


def test_key_order_within_one_file_is_a_duplicate_and_the_log_has_the_stored_hash(con, landing):
    write_jsonl(
        landing / "pos" / "1.jsonl",
        [
            event(event_id="A", attributes=NESTED),  # line 1: stored
            # line 2: same content: duplicate; line 3: another number of lines: conflict
            with_attributes_text(event(event_id="A"), REORDERED),
            with_attributes_text(event(event_id="A"), REORDERED.replace(": 2,", ": 3,")),
        ],
    )
    ingest.ingest_files(con, landing)
    (stored_hash,) = rows(con, f"SELECT {content_hash_sql()} FROM raw.inventory_events")
    assert rows(con, "SELECT source_line, content_hash FROM raw.duplicate_events") == [
        (2, stored_hash[0])
    ]
    assert quarantined(con) == [(3, "duplicate_conflict")]


def test_canonical_json_lists_the_nodes_sorted_by_path():
    # '{"b":[1,2.0],"a":"x"}' and '{"a":"x","b":[1,2]}' have the same nodes:
    # $ (object), $.a = "x", $.b (array), $.b[0] = 1, $.b[1] = 2
    expected = [
        {"path": "$", "kind": "OBJECT", "value": None},
        {"path": "$.a", "kind": "VARCHAR", "value": "x"},
        {"path": "$.b", "kind": "ARRAY", "value": None},
        {"path": "$.b[0]", "kind": "NUMBER", "value": "1"},
        {"path": "$.b[1]", "kind": "NUMBER", "value": "2"},
    ]
    con = duckdb.connect()
    for text in ('{"b":[1,2.0],"a":"x"}', '{"a":"x","b":[1,2]}'):
        (canonical,) = con.execute(
            f"SELECT {canonical_json_sql('j')} FROM (SELECT ?::VARCHAR AS j)", [text]
        ).fetchone()
        assert json.loads(canonical) == expected
