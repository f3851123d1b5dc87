"""The exception queue's work log (dashboards/worklog.py): an append-only JSON-lines file on
disk; appends, replays to the current state, refuses what it does not know, and keeps every
entry when threads and processes append at once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime

import pytest

from dashboards.worklog import MAX_NOTE, InvalidAction, Worklog, WorkState, replay

MONDAY = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY.replace(hour=hour, minute=minute)


@pytest.fixture
def worklog(tmp_path) -> Worklog:
    return Worklog(tmp_path / "worklog" / "audit.jsonl")


def test_an_action_is_appended_with_who_when_what_before_and_after(worklog):
    entry = worklog.record(
        "oversell:O-1|SKU1", "acknowledge", "ana", {"note": " on it "}, now=at(9)
    )

    lines = worklog.path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [entry]
    assert entry == {
        "seq": 1,
        "at": "2026-03-16T09:00:00+00:00",
        "who": "ana",
        "exception_id": "oversell:O-1|SKU1",
        "action": "acknowledge",
        "fields": {"note": "on it"},  # trimmed
        "before": {"status": "open", "owner": None, "snoozed_until": None, "note": None},
        "after": {"status": "acknowledged", "owner": None, "snoozed_until": None, "note": "on it"},
    }


def test_the_log_replays_to_each_exceptions_current_state(worklog):
    worklog.record("A", "assign", "ana", {"owner": "bo"}, now=at(9))
    worklog.record("B", "acknowledge", "bo", now=at(10))
    worklog.record("A", "snooze", "bo", {"until": "2026-03-20"}, now=at(11))
    worklog.record("A", "resolve", "bo", {"note": "counted, book fixed"}, now=at(12, 30))

    states = worklog.states()

    assert states["A"] == WorkState(
        status="resolved",
        owner="bo",  # an assignment stays until the next one
        snoozed_until=None,  # a resolve ends the snooze
        note="counted, book fixed",
        last_action="resolve",
        last_action_at=at(12, 30),
        last_action_by="bo",
        actions=3,
    )
    assert states["B"].status == "acknowledged" and states["B"].actions == 1
    # the audit's before/after of the snooze, as the replay saw it
    snooze = worklog.entries()[2]
    assert snooze["before"]["owner"] == "bo" and snooze["before"]["status"] == "open"
    assert snooze["after"]["status"] == "snoozed"
    assert snooze["after"]["snoozed_until"] == "2026-03-20"
    # a snapshot's states (through seq 2) plus the entries after it give the same answer
    through_two = replay(worklog.entries()[:2])
    assert worklog.states(after_seq=2, start=through_two) == states
    # a state survives its record form (what a snapshot stores)
    assert WorkState.from_record(states["A"].to_record()) == states["A"]


def test_a_snooze_ends_on_its_day():
    snoozed = WorkState().after("snooze", {"until": date(2026, 3, 20)}, "ana", at(9))
    assert snoozed.shown_status(date(2026, 3, 19)) == "snoozed"
    assert snoozed.shown_status(date(2026, 3, 20)) == "open"


@pytest.mark.parametrize(
    ("action", "fields", "why"),
    [
        ("delete", {}, "unknown action 'delete'"),
        ("assign", {}, "assign needs owner"),
        ("resolve", {"note": "   "}, "resolve needs note"),  # blank counts as not given
        ("acknowledge", {"owner": "bo"}, "acknowledge takes no owner"),
        ("acknowledge", {"status": "resolved"}, "acknowledge takes no status"),
        ("snooze", {"until": "next week"}, "until is not a date"),
        ("snooze", {"until": "2026-03-16"}, "a snooze must end after today"),
        ("resolve", {"note": "x" * (MAX_NOTE + 1)}, f"longer than {MAX_NOTE}"),
        ("assign", {"owner": "bo\x1b[31m"}, "owner holds control characters"),
        ("assign", {"owner": ["bo"]}, "owner must be text"),
    ],
)
def test_what_the_log_does_not_know_is_refused_and_nothing_is_written(worklog, action, fields, why):
    with pytest.raises(InvalidAction, match=why.replace("(", r"\(")):
        worklog.record("A", action, "ana", fields, now=at(9))
    assert not worklog.path.exists()


def test_who_and_the_exception_must_be_named(worklog):
    with pytest.raises(InvalidAction, match="who is empty"):
        worklog.record("A", "acknowledge", " ", now=at(9))
    with pytest.raises(InvalidAction, match="exception is empty"):
        worklog.record("", "acknowledge", "ana", now=at(9))


def test_a_note_may_span_lines(worklog):
    entry = worklog.record("A", "resolve", "ana", {"note": "counted\nbook fixed"}, now=at(9))
    assert worklog.states()["A"].note == "counted\nbook fixed" == entry["fields"]["note"]


def test_a_line_torn_by_a_crash_is_skipped_and_closed_off(worklog):
    worklog.record("A", "acknowledge", "ana", now=at(9))
    with worklog.path.open("ab") as log:
        log.write(b'{"seq": 2, "at": "2026-03-16T09:05')  # the process died mid-write
    assert [e["seq"] for e in worklog.entries()] == [1]

    worklog.record("A", "assign", "ana", {"owner": "bo"}, now=at(10))

    assert [e["seq"] for e in worklog.entries()] == [1, 2]
    assert worklog.states()["A"].owner == "bo"


def test_threads_appending_at_once_lose_nothing(worklog):
    threads, per_thread = 8, 25

    def work(number: int) -> None:
        for n in range(per_thread):
            worklog.record(f"E{number}", "assign", f"user{number}", {"owner": f"o{n}"})

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    entries = worklog.entries()
    assert sorted(e["seq"] for e in entries) == list(range(1, threads * per_thread + 1))
    states = worklog.states()
    assert {key: (s.owner, s.actions) for key, s in states.items()} == {
        f"E{n}": (f"o{per_thread - 1}", per_thread) for n in range(threads)
    }
    # each entry's before is the state the previous entry of its exception left
    for n in range(threads):
        mine = [e for e in entries if e["exception_id"] == f"E{n}"]
        assert [e["before"]["owner"] for e in mine] == [None] + [
            e["after"]["owner"] for e in mine[:-1]
        ]


def _append_from_a_process(path: str, number: int, count: int) -> None:
    log = Worklog(path)
    for n in range(count):
        log.record(f"P{number}", "assign", f"proc{number}", {"owner": f"o{n}"})


def test_processes_appending_at_once_lose_nothing(worklog):
    processes, per_process = 3, 20
    with ProcessPoolExecutor(processes) as pool:
        for done in [
            pool.submit(_append_from_a_process, str(worklog.path), n, per_process)
            for n in range(processes)
        ]:
            done.result()
    entries = worklog.entries()
    assert sorted(e["seq"] for e in entries) == list(range(1, processes * per_process + 1))
    assert all(state.actions == per_process for state in worklog.states().values())
