"""A tiny hand-made raw warehouse for the dbt tests, and a dbt runner with isolated paths.

The events are data files, tests/data/dbt_events/*.jsonl; their README says what each one
plants, from which every KPI value asserted in tests/test_dbt_build.py is worked out by hand.
The dataset covers 2026-03-01 .. 2026-03-04 (``base_events``) plus one more day
(``day5_events``, with a late event for 2026-03-02) for the incremental test; the data
horizon is 2026-03-04 20:00, then 2026-03-05 20:00. ``regular_feed_events`` is a denser log
for the horizon tests (tests/test_dbt_horizon.py). The raw tables are created by ingestion's
own ``ensure_schema``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from omnistock.ingest import ensure_schema
from omnistock.ingest.rules import CANONICAL_FIELDS

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


LOCATIONS = [
    ("S001", "store", "north", "Store 1"),
    ("S002", "store", "south", "Store 2"),
    ("DC01", "dc", "north", "DC North"),
]
SKUS = [
    ("SKU1", "apparel", 10.0, 25.0, "A"),
    ("SKU2", "home", 4.0, 9.0, "B"),
]

# raw.inventory_events in column order: the canonical fields, then what ingestion adds.
EVENT_COLUMNS = (*CANONICAL_FIELDS, "source_file", "source_line", "ingested_at")
EVENTS_DIR = Path(__file__).resolve().parent / "data" / "dbt_events"
SOURCE_LAG = timedelta(minutes=2)  # emitted_at - occurred_at when a line does not say


def ts(day: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A UTC time on 2026-03-<day>."""
    return datetime(2026, 3, day, hh, mm, ss)


def event_rows(records: Iterable[dict], ingested_at: datetime) -> list[dict]:
    """raw.inventory_events rows from records written the data files' way (see
    tests/data/dbt_events/README.md): a record leaves out what every event shares."""
    rows = []
    for line, record in enumerate(records, 1):
        row = dict.fromkeys(EVENT_COLUMNS)
        row.update(
            schema_version="1",
            source_file=f"{record['source_system']}/batch.jsonl",
            source_line=line,
            ingested_at=ingested_at,
        )
        row.update(record)
        row["occurred_at"] = datetime.fromisoformat(record["occurred_at"])
        row["emitted_at"] = (
            datetime.fromisoformat(record["emitted_at"])
            if "emitted_at" in record
            else row["occurred_at"] + SOURCE_LAG
        )
        row["attributes"] = json.dumps(record.get("attributes", {}))
        rows.append(row)
    return rows


def load_events(name: str, ingested_at: datetime) -> list[dict]:
    """The events of tests/data/dbt_events/<name>.jsonl, ingested at `ingested_at`."""
    lines = (EVENTS_DIR / f"{name}.jsonl").read_text().splitlines()
    return event_rows(map(json.loads, lines), ingested_at)


def base_events() -> list[dict]:
    """2026-03-01 .. 2026-03-04, ingested 03-04 21:00; the data horizon is 03-04 20:00."""
    return load_events("base", ts(4, 21))


def day5_events() -> list[dict]:
    """2026-03-05, ingested later, with one late event for 2026-03-02."""
    return load_events("day5", ts(5, 21))


def regular_feed_events(last_hour: dict[str, int] | None = None) -> list[dict]:
    """Every regular feed every two hours on 03-01 and 03-02 (marketplace stopping at 03-02
    18:00: the horizon), and a few stock events; with `last_hour`, a feed's events of 03-02
    after that hour are left out (-1: all of its 03-02)."""
    rows = load_events("regular_feeds", ts(3, 1))
    last_hour = last_hour or {}
    return [
        row
        for row in rows
        if row["occurred_at"].date() != date(2026, 3, 2)
        or row["occurred_at"].hour <= last_hour.get(row["source_system"], 23)
    ]


def cycle_count_answers() -> list[dict]:
    """Cycle-count answers landed after the feeds of regular_feed_events (ingested 03-04
    10:00), the way the simulator's respond_to_outbox writes them."""
    return load_events("cycle_count_answers", ts(4, 10))


def create_raw_warehouse(path: Path, events: Iterable[dict]) -> Path:
    """A DuckDB file with the raw schema, the reference data and the given events."""
    with duckdb.connect(str(path)) as con:
        ensure_schema(con)  # the raw tables exactly as ingestion creates them
        con.executemany("insert into raw.locations values (?, ?, ?, ?)", LOCATIONS)
        con.executemany("insert into raw.skus values (?, ?, ?, ?, ?)", SKUS)
    append_events(path, events)
    return path


def append_events(path: Path, events: Iterable[dict]) -> None:
    rows = [tuple(event[column] for column in EVENT_COLUMNS) for event in events]
    placeholders = ", ".join("?" for _ in EVENT_COLUMNS)
    with duckdb.connect(str(path)) as con:
        con.executemany(f"insert into raw.inventory_events values ({placeholders})", rows)


@dataclass
class DbtRun:
    """dbt CLI calls against one warehouse, with target/log paths private to `work_dir`."""

    warehouse: Path
    work_dir: Path

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "OMNISTOCK_WAREHOUSE": str(self.warehouse),
            "DBT_TARGET_PATH": str(self.work_dir / "target"),
            "DBT_LOG_PATH": str(self.work_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command: Sequence[str] = [
            str(DBT_EXECUTABLE),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ]
        result = subprocess.run(
            command, env=self.env(), capture_output=True, text=True, cwd=self.work_dir, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
            )
        return result


def query(path: Path, sql: str, params: Sequence | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


_BUILDS: dict[str, tuple[Path, Path]] = {}


def built_base_warehouse(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse, work_dir) with days 1..4 built by a full `dbt build` (models, data tests
    and unit tests). Built once per test process and shared by the test_dbt* modules; treat
    the warehouse as read-only (copy it to change it)."""
    if "base" not in _BUILDS:
        work_dir = tmp_path_factory.mktemp("dbt_base")
        warehouse = create_raw_warehouse(work_dir / "warehouse.duckdb", base_events())
        DbtRun(warehouse, work_dir)("build")
        _BUILDS["base"] = (warehouse, work_dir)
    return _BUILDS["base"]


def run_results(work_dir: Path) -> dict:
    return json.loads((work_dir / "target" / "run_results.json").read_text())
