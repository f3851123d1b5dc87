"""The exception queue's work log: what planners did about each open exception, append-only.

One JSON object per line in `<home>/worklog/audit.jsonl` (`Settings.worklog_file`), outside the snapshots and the
warehouse, so pipeline runs and snapshot swaps never touch it:

```
{"seq": 3, "at": "2026-03-12T09:14:03+00:00", "who": "ana", "exception_id": "oversell:O-8|SKU1",
 "action": "snooze", "fields": {"until": "2026-03-16", "note": "supplier call Monday"},
 "before": {"status": "acknowledged", "owner": "ana", ...}, "after": {"status": "snoozed", ...}}
```

The current state of an exception (status, owner, snooze, last note, last action) is the
replay of its entries in order. A publish copies the replayed states into the new snapshot
(`exception_work`, with the last sequence number it holds); the exceptions page adds the
entries written since, so an action shows at once and survives every later run.

Only the known actions and their fields are accepted (`validate`): anything else is refused
with `InvalidAction` and nothing is written. Appends hold an exclusive lock on
`audit.jsonl.lock` (threads of the Dash server and other processes alike), are flushed and
fsynced before `record` returns; a line torn by a crash is skipped when read and closed off
by the next append.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

log = logging.getLogger(__name__)

# action -> (required fields, optional fields); a note may go with every action.
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "assign": (("owner",), ("note",)),
    "acknowledge": ((), ("note",)),
    "snooze": (("until",), ("note",)),
    "resolve": (("note",), ()),
    "reopen": ((), ("note",)),
}
STATUSES = ("open", "acknowledged", "snoozed", "resolved")
MAX_NAME = 80  # who, owner
MAX_NOTE = 500
MAX_EXCEPTION_ID = 300


class InvalidAction(ValueError):
    """An action, field or value the work log does not accept; nothing was written."""


@dataclass(frozen=True)
class WorkState:
    """What has been done about one exception so far (the default: nothing, open)."""

    status: str = "open"
    owner: str | None = None
    snoozed_until: date | None = None
    note: str | None = None
    last_action: str | None = None
    last_action_at: datetime | None = None
    last_action_by: str | None = None
    actions: int = 0

    def after(self, action: str, fields: Mapping[str, object], who: str, at: datetime):
        """The state once `action` (validated) is applied."""
        status = {
            "acknowledge": "acknowledged",
            "snooze": "snoozed",
            "resolve": "resolved",
            "reopen": "open",
        }.get(action, self.status)
        return replace(
            self,
            status=status,
            owner=fields.get("owner", self.owner),
            snoozed_until=fields.get("until") if status == "snoozed" else None,
            note=fields.get("note", self.note),
            last_action=action,
            last_action_at=at,
            last_action_by=who,
            actions=self.actions + 1,
        )

    def shown_status(self, today: date) -> str:
        """The status a planner sees: a snooze ends on its day, the exception is open again."""
        if self.status == "snoozed" and (self.snoozed_until is None or self.snoozed_until <= today):
            return "open"
        return self.status

    def to_record(self) -> dict:
        record = asdict(self)
        for name in ("snoozed_until", "last_action_at"):
            value = record[name]
            record[name] = value.isoformat() if value is not None else None
        return record

    @classmethod
    def from_record(cls, record: Mapping) -> WorkState:
        until, at = record.get("snoozed_until"), record.get("last_action_at")
        return cls(
            status=record.get("status") or "open",
            owner=record.get("owner"),
            snoozed_until=_as_date(until) if until else None,
            note=record.get("note"),
            last_action=record.get("last_action"),
            last_action_at=_as_utc(at) if at else None,
            last_action_by=record.get("last_action_by"),
            actions=int(record.get("actions") or 0),
        )


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_utc(value) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(name: str, value, limit: int, *, multiline: bool = False) -> str:
    """A clean, non-empty text of at most `limit` characters without control characters."""
    if not isinstance(value, str):
        raise InvalidAction(f"{name} must be text")
    text = value.strip()
    if not text:
        raise InvalidAction(f"{name} is empty")
    if len(text) > limit:
        raise InvalidAction(f"{name} is longer than {limit} characters")
    allowed = "\n\t" if multiline else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        raise InvalidAction(f"{name} holds control characters")
    return text


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate(
    exception_id, action, who, fields: Mapping[str, object] | None, today: date
) -> tuple[str, str, str, dict]:
    """(exception_id, action, who, fields) cleaned, or InvalidAction: a known action with its
    required fields and no others; names and notes short, printable text; a snooze ends on
    a day after `today`."""
    if action not in ACTIONS:
        raise InvalidAction(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    required, optional = ACTIONS[action]
    given = {name: value for name, value in (fields or {}).items() if not _blank(value)}
    unknown = sorted(set(given) - set(required) - set(optional))
    if unknown:
        raise InvalidAction(f"{action} takes no {', '.join(unknown)}")
    lacking = [name for name in required if name not in given]
    if lacking:
        raise InvalidAction(f"{action} needs {', '.join(lacking)}")
    clean: dict = {}
    if "owner" in given:
        clean["owner"] = _text("owner", given["owner"], MAX_NAME)
    if "note" in given:
        clean["note"] = _text("note", given["note"], MAX_NOTE, multiline=True)
    if "until" in given:
        try:
            until = _as_date(given["until"])
        except (TypeError, ValueError) as error:
            raise InvalidAction(f"until is not a date: {given['until']!r}") from error
        if until <= today:
            raise InvalidAction(f"a snooze must end after today ({today})")
        clean["until"] = until
    return (
        _text("exception", exception_id, MAX_EXCEPTION_ID),
        action,
        _text("who", who, MAX_NAME),
        clean,
    )


def _fields_from_entry(fields: Mapping) -> dict:
    return {k: (_as_date(v) if k == "until" else v) for k, v in fields.items()}


def replay(
    entries: Iterable[Mapping], states: Mapping[str, WorkState] | None = None
) -> dict[str, WorkState]:
    """The state of every exception after `entries` (in order), starting from `states`."""
    current = dict(states or {})
    for entry in entries:
        key = entry["exception_id"]
        current[key] = current.get(key, WorkState()).after(
            entry["action"],
            _fields_from_entry(entry.get("fields", {})),
            entry["who"],
            _as_utc(entry["at"]),
        )
    return current


class Worklog:
    """The append-only log file; safe to share between threads and processes."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def entries(self, after_seq: int = 0) -> list[dict]:
        """The entries with a sequence number above `after_seq`, in order (torn or
        malformed lines are skipped, with a warning)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        entries = []
        for number, line in enumerate(raw.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if entry["action"] not in ACTIONS:
                    raise ValueError(f"unknown action {entry['action']!r}")
                seq = int(entry["seq"])
            except (ValueError, KeyError, TypeError) as error:
                log.warning("%s line %d skipped: %s", self.path, number, error)
                continue
            if seq > after_seq:
                entries.append(entry)
        return entries

    def last_seq(self) -> int:
        entries = self.entries()
        return max((int(entry["seq"]) for entry in entries), default=0)

    def states(self, after_seq: int = 0, start: Mapping[str, WorkState] | None = None):
        """Every exception's state: `start` (e.g. a snapshot's) plus the entries after
        `after_seq`."""
        return replay(self.entries(after_seq), start)

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def record(
        self,
        exception_id: str,
        action: str,
        who: str,
        fields: Mapping[str, object] | None = None,
        *,
        now: datetime | None = None,
    ) -> dict:
        """Validate and append one action; returns the entry written (with before/after)."""
        at = _as_utc(now) if now else datetime.now(UTC)
        exception_id, action, who, clean = validate(exception_id, action, who, fields, at.date())
        with self._locked():
            entries = self.entries()
            before = replay(e for e in entries if e["exception_id"] == exception_id).get(
                exception_id, WorkState()
            )
            after = before.after(action, clean, who, at)
            entry = {
                "seq": max((int(e["seq"]) for e in entries), default=0) + 1,
                "at": at.isoformat(),
                "who": who,
                "exception_id": exception_id,
                "action": action,
                "fields": {
                    k: (v.isoformat() if isinstance(v, date) else v) for k, v in clean.items()
                },
                "before": _summary(before),
                "after": _summary(after),
            }
            self._append(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def _append(self, line: str) -> None:
        created = not self.path.exists()
        with open(self.path, "ab") as out:
            if out.tell() and not _ends_with_newline(self.path):
                out.write(b"\n")  # close off a line torn by a crash: it stays skipped
            out.write(line.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        if created:  # the new file's name must survive a crash too
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as existing:
        existing.seek(-1, os.SEEK_END)
        return existing.read(1) == b"\n"


def _summary(state: WorkState) -> dict:
    """The part of a state an action changes (the audit's before / after)."""
    record = state.to_record()
    return {key: record[key] for key in ("status", "owner", "snoozed_until", "note")}
