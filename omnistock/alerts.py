"""Alerts: conditions that need a person, raised once, resolved when they go away, kept on disk.

dbt judges the data rules (`alert_conditions`: KPIs beyond their thresholds, stale feeds); this
module adds what dbt cannot see (checks that failed in a run, locations the risk model puts at
or above the cycle-count threshold) and keeps the alert log in `<home>/notifications/`:

```
active.json                                      alerts raised and not resolved (de-duplication)
<UTC time>-<n>-raised-<rule>-<subject>.json       one durable record per change, never rewritten
<UTC time>-<n>-resolved-<rule>-<subject>.json
```

A condition raises an alert the first time it is seen and never again while it holds; it is
resolved when a later evaluation that judged it no longer sees it. Records are written before
anyone is notified, so a webhook that is down loses nothing. Sending (to a webhook or chat) is
optional: OMNISTOCK_ALERT_URLS lists Apprise URLs (https://github.com/caronc/apprise), e.g.
`json://host/path` or `slack://…`; the `notify` extra installs Apprise.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import duckdb

from omnistock.kpis import format_quantity

ACTIVE_FILE = "active.json"
RECORD_GLOB = "*-*-r*.json"


@dataclass(frozen=True)
class Condition:
    """Something that holds now and needs a person; `rule` + `subject` identify it."""

    rule: str
    subject: str
    severity: str
    message: str
    value: float | None = None
    threshold: float | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}"


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check's result in a run (from the Dagster event log)."""

    asset: str
    check_name: str
    passed: bool
    severity: str
    description: str | None = None


@dataclass
class Judgement:
    """What one evaluation saw, and what it looked at: an active alert is resolved only when its
    rule was judged (all subjects: None, or the subjects in the set) and its condition is gone."""

    conditions: list[Condition] = field(default_factory=list)
    judged: dict[str, set[str] | None] = field(default_factory=dict)

    def add(self, rule: str, conditions: Iterable[Condition], subjects: set[str] | None = None):
        self.conditions.extend(conditions)
        self.judged[rule] = subjects

    def covers(self, rule: str, subject: str) -> bool:
        if rule not in self.judged:
            return False
        subjects = self.judged[rule]
        return subjects is None or subject in subjects


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()
    }


def data_conditions(
    con: duckdb.DuckDBPyConnection, risk_threshold: float | None, judgement: Judgement
) -> None:
    """The conditions in a published snapshot (tables by bare name): dbt's alert_conditions and
    the locations at or above the risk threshold. A table the snapshot lacks is not judged."""
    tables = _tables(con)
    if "alert_conditions" in tables:
        rows = con.execute(
            "select rule, subject, severity, label, unit, value, threshold "
            "from alert_conditions order by rule, subject"
        ).fetchall()
        by_rule: dict[str, list[Condition]] = {"kpi_threshold": [], "stale_source": []}
        for rule, subject, severity, label, unit, value, threshold in rows:
            value, threshold = _number(value), _number(threshold)
            message = _data_message(rule, subject, label, unit, value, threshold)
            by_rule[rule].append(Condition(rule, subject, severity, message, value, threshold))
        for rule, conditions in by_rule.items():
            judgement.add(rule, conditions)
    if "location_risk" in tables and risk_threshold is not None:
        rows = con.execute(
            "select location_id, risk_rank, risk_score, reason from location_risk "
            "where risk_score >= ? order by risk_rank",
            [risk_threshold],
        ).fetchall()
        judgement.add(
            "high_risk_location",
            (
                Condition(
                    "high_risk_location",
                    location_id,
                    "warning",
                    f"{location_id} ranks #{rank} for stock-record risk ({score:.2f} ≥ "
                    f"{risk_threshold:g}): {reason}",
                    score,
                    risk_threshold,
                )
                for location_id, rank, score, reason in rows
            ),
        )


def _number(value) -> float | None:
    return None if value is None else float(value)


def _data_message(rule, subject, label, unit, value, threshold) -> str:
    if rule == "stale_source":
        if value is None:
            return f"{subject} has not delivered a regular day of events."
        return (
            f"{subject} is {value:.1f} h behind the leading feed "
            f"(alert beyond {threshold:g} h): its data holds the KPIs' horizon back."
        )
    return (
        f"{label} is {format_quantity(unit, value)} over the current period "
        f"(alert threshold {format_quantity(unit, threshold)})."
    )


def check_conditions(outcomes: Iterable[CheckOutcome], judgement: Judgement) -> None:
    """A failed check of a run is a condition until the same check passes in a later run."""
    outcomes = list(outcomes)
    judgement.add(
        "failed_check",
        (
            Condition(
                "failed_check",
                f"{outcome.asset}:{outcome.check_name}",
                "critical" if outcome.severity == "ERROR" else "warning",
                f"Check {outcome.check_name} on {outcome.asset} failed"
                + (f": {outcome.description}" if outcome.description else "."),
            )
            for outcome in outcomes
            if not outcome.passed
        ),
        subjects={f"{outcome.asset}:{outcome.check_name}" for outcome in outcomes},
    )


@dataclass(frozen=True)
class AlertChanges:
    raised: list[dict]
    resolved: list[dict]

    def describe(self) -> str:
        if not self.raised and not self.resolved:
            return "No alert raised or resolved."
        lines = [f"raised {record['key']}: {record['message']}" for record in self.raised]
        lines += [f"resolved {record['key']}" for record in self.resolved]
        return "\n".join(lines)


class AlertLog:
    """The notifications folder: durable records and the set of active alerts."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def active(self) -> dict[str, dict]:
        path = self.folder / ACTIVE_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def records(self) -> list[dict]:
        return [
            json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(self.folder.glob(RECORD_GLOB))
        ]

    def update(self, judgement: Judgement, run_id: str | None, now: datetime) -> AlertChanges:
        self.folder.mkdir(parents=True, exist_ok=True)
        active = self.active()
        seen = {condition.key: condition for condition in judgement.conditions}
        at = now.astimezone(UTC).isoformat()
        raised = [
            {"status": "raised", "key": key, "raised_at": at, "run_id": run_id, **asdict(cond)}
            for key, cond in seen.items()
            if key not in active
        ]
        resolved = [
            {**record, "status": "resolved", "resolved_at": at, "resolved_by_run_id": run_id}
            for key, record in active.items()
            if key not in seen and judgement.covers(record["rule"], record["subject"])
        ]
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        for number, record in enumerate(raised + resolved):
            name = f"{stamp}-{number:04d}-{record['status']}-{_file_part(record['key'])}.json"
            _write_atomically(self.folder / name, record)
        for record in raised:
            active[record["key"]] = record
        for record in resolved:
            active.pop(record["key"])
        _write_atomically(self.folder / ACTIVE_FILE, active)
        return AlertChanges(raised, resolved)


def _file_part(key: str) -> str:
    """A key as a safe, readable file-name part (a subject may hold any character)."""
    return quote(re.sub(r"\s+", "_", key), safe="")[:150]


def _write_atomically(path: Path, data) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(temporary, path)


def alert_urls() -> list[str]:
    """Where alerts are sent besides the log: OMNISTOCK_ALERT_URLS, Apprise URLs separated by
    commas or whitespace. They may hold tokens, so they live in the environment, never in files."""
    return [url for url in re.split(r"[\s,]+", os.environ.get("OMNISTOCK_ALERT_URLS", "")) if url]


def notify(changes: AlertChanges, urls: Sequence[str]) -> str | None:
    """Send the changes to `urls`; returns why it could not, or None when sent (or nothing to
    send). The records are already on disk."""
    if not urls or not (changes.raised or changes.resolved):
        return None
    try:
        import apprise
    except ImportError:
        return "OMNISTOCK_ALERT_URLS is set but Apprise is not installed (pip install '.[notify]')"
    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            return "an OMNISTOCK_ALERT_URLS entry is not a URL Apprise understands"
    severities = {record["severity"] for record in changes.raised}
    kind = apprise.NotifyType.FAILURE if "critical" in severities else apprise.NotifyType.WARNING
    if not changes.raised:
        kind = apprise.NotifyType.SUCCESS
    title = f"Omnistock alerts: {len(changes.raised)} raised, {len(changes.resolved)} resolved"
    if not sender.notify(title=title, body=changes.describe(), notify_type=kind):
        return "Apprise could not deliver to every OMNISTOCK_ALERT_URLS entry"
    return None


def summarize(active: Mapping[str, dict]) -> list[dict]:
    """The active alerts, most severe first, for a table in the Dagster UI or on a page."""
    order = {"critical": 0, "warning": 1}
    return sorted(
        active.values(), key=lambda record: (order.get(record["severity"], 2), record["key"])
    )
