"""One place for every path setting, and for the ingestion settings.

`OMNISTOCK_HOME` (default `.omnistock/` in the working folder) holds `landing/`,
`warehouse.duckdb`, `outbox/`, `snapshots/`, `notifications/` (alerts), `worklog/` (the
exception queue's audit log, dashboards/worklog.py) and `dagster_home/`.
`OMNISTOCK_LANDING_DIR` and `OMNISTOCK_WAREHOUSE` override those two.

The warehouse path is exported back to the environment as an absolute path so that
dbt's `profiles.yml` (`env_var('OMNISTOCK_WAREHOUSE')`) and the Dagster DuckDB resource
always read the same file.

`OMNISTOCK_EARLIEST_TIMESTAMP` (default 2000-01-01T00:00:00Z) and `OMNISTOCK_MAX_FUTURE_DAYS`
(default 7, counted from the time of the ingest run) bound the `occurred_at` and `emitted_at`
that ingestion stores (SPEC 4.2 `invalid_timestamp`; docs/architecture.md, validation order).
`OMNISTOCK_INGEST_BATCH_RECORDS` sizes ingestion's transactions and
`OMNISTOCK_QUARANTINE_THRESHOLD` is the quarantined share per source the ingestion check
accepts. `OMNISTOCK_DUCKDB_MEMORY_LIMIT` (default 3GB) and `OMNISTOCK_DUCKDB_THREADS` (default:
DuckDB's, one per core) bound every DuckDB connection of a run: the app's
(`omnistock.warehouse.connect`, the Dagster DuckDB resource) and dbt's (profiles.yml reads them
as OMNISTOCK_DUCKDB_SETTINGS, which `export_environment` writes). Each setting is read, and
checked, by its own function here, when it is used.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SOURCE_SYSTEMS = (
    "pos",
    "ecommerce",
    "marketplace",
    "oms",
    "wms",
    "erp",
    "supplier_portal",
    "customer_service",
    "integration_gateway",
)

DEFAULT_EARLIEST_TIMESTAMP = "2000-01-01T00:00:00Z"
DEFAULT_MAX_FUTURE_DAYS = 7


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    warehouse: Path

    @classmethod
    def at_home(cls, home: Path) -> Settings:
        """The default layout below `home`, whatever the environment says."""
        return cls(home=home, landing_dir=home / "landing", warehouse=home / "warehouse.duckdb")

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def cycle_count_outbox(self) -> Path:
        return self.outbox_dir / "cycle_counts"

    @property
    def snapshots_dir(self) -> Path:
        return self.home / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def notifications_dir(self) -> Path:
        """Alert records (omnistock.alerts)."""
        return self.home / "notifications"

    @property
    def worklog_file(self) -> Path:
        """The exception queue's append-only audit log (dashboards.worklog)."""
        return self.home / "worklog" / "audit.jsonl"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.home / "dagster_home").resolve()


def _abs(value: str | os.PathLike) -> Path:
    return Path(value).expanduser().resolve()


def get_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where a path is needed)."""
    default = Settings.at_home(_abs(os.environ.get("OMNISTOCK_HOME") or ".omnistock"))
    landing = _abs(os.environ.get("OMNISTOCK_LANDING_DIR") or default.landing_dir)
    warehouse = _abs(os.environ.get("OMNISTOCK_WAREHOUSE") or default.warehouse)
    return Settings(home=default.home, landing_dir=landing, warehouse=warehouse)


def export_environment(settings: Settings | None = None) -> Settings:
    """Write the resolved absolute paths to the environment for dbt and Dagster children."""
    settings = settings or get_settings()
    os.environ["OMNISTOCK_HOME"] = str(settings.home)
    os.environ["OMNISTOCK_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["OMNISTOCK_WAREHOUSE"] = str(settings.warehouse)
    os.environ.setdefault("DAGSTER_HOME", str(settings.home / "dagster_home"))
    export_duckdb_settings()
    for folder in (
        settings.home,
        settings.landing_dir,
        settings.dagster_home,
        settings.warehouse.parent,
    ):
        folder.mkdir(parents=True, exist_ok=True)
    return settings


@dataclass(frozen=True)
class TimestampWindow:
    """The event times ingestion accepts: not before `earliest` (UTC) and not more than
    `max_future` after the time of the ingest run."""

    earliest: datetime  # UTC, naive like the raw tables' timestamps
    max_future: timedelta

    def bounds(self, ingested_at: datetime) -> tuple[datetime, datetime]:
        """(earliest, latest) accepted for an ingest run at `ingested_at` (naive means UTC)."""
        try:
            latest = naive_utc(ingested_at) + self.max_future
        except OverflowError:
            latest = datetime.max
        return self.earliest, latest


def naive_utc(value: datetime) -> datetime:
    """`value` in UTC without time zone (a naive value is taken to be UTC already)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def get_timestamp_window() -> TimestampWindow:
    """Read the accepted event-time window from the environment; a malformed setting raises
    ValueError naming it."""
    earliest_text = os.environ.get("OMNISTOCK_EARLIEST_TIMESTAMP") or DEFAULT_EARLIEST_TIMESTAMP
    days_text = os.environ.get("OMNISTOCK_MAX_FUTURE_DAYS") or str(DEFAULT_MAX_FUTURE_DAYS)
    try:
        earliest = naive_utc(datetime.fromisoformat(earliest_text))
    except (ValueError, OverflowError) as error:
        raise ValueError(
            f"OMNISTOCK_EARLIEST_TIMESTAMP must be an ISO-8601 timestamp, got {earliest_text!r}"
        ) from error
    try:
        days = float(days_text)
        if not (math.isfinite(days) and days >= 0):
            raise ValueError(days_text)
        max_future = timedelta(days=min(days, timedelta.max.days))
    except ValueError as error:
        raise ValueError(
            f"OMNISTOCK_MAX_FUTURE_DAYS must be a number of days >= 0, got {days_text!r}"
        ) from error
    return TimestampWindow(earliest=earliest, max_future=max_future)


DEFAULT_INGEST_BATCH_RECORDS = 1_000_000


def ingest_batch_records() -> int:
    """Records per ingestion transaction (`OMNISTOCK_INGEST_BATCH_RECORDS`): whole files are
    grouped up to about this many records; 1 gives one transaction per file."""
    text = os.environ.get("OMNISTOCK_INGEST_BATCH_RECORDS") or str(DEFAULT_INGEST_BATCH_RECORDS)
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(
            f"OMNISTOCK_INGEST_BATCH_RECORDS must be a whole number >= 1, got {text!r}"
        )
    return value


DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8050"


def dashboard_url() -> str:
    """Where the dashboards are served (links in the Dagster UI). `omnistock ui` sets
    OMNISTOCK_DASHBOARD_URL to the host and port it actually serves them on."""
    return (os.environ.get("OMNISTOCK_DASHBOARD_URL") or DEFAULT_DASHBOARD_URL).rstrip("/")


DEFAULT_QUARANTINE_THRESHOLD = 0.02


def quarantine_threshold() -> float:
    """The highest quarantined share of a source's records before the ingestion check warns
    (`OMNISTOCK_QUARANTINE_THRESHOLD`, a share from 0 to 1)."""
    text = os.environ.get("OMNISTOCK_QUARANTINE_THRESHOLD") or str(DEFAULT_QUARANTINE_THRESHOLD)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise ValueError(
            f"OMNISTOCK_QUARANTINE_THRESHOLD must be a share from 0 to 1, got {text!r}"
        )
    return value


DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"
_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(%|[KMGT]i?B|B)", re.IGNORECASE)


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for every connection of a run (`OMNISTOCK_DUCKDB_MEMORY_LIMIT`,
    e.g. 3GB, 512MiB or 50%); beyond it DuckDB spills to disk where it can. DuckDB's own
    default is 80 % of the machine's memory, per process (a run on `large` peaked at 12.9 GB).
    The limit is per database, shared by dbt's two threads: on `large`, 3GB builds every model
    with int_stock_ledger_daily and marts.kpi_observations side by side (docs/benchmarks.md)."""
    text = (os.environ.get("OMNISTOCK_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    if not _MEMORY_LIMIT.fullmatch(text):
        raise ValueError(
            "OMNISTOCK_DUCKDB_MEMORY_LIMIT must be an amount of memory such as 2GB, 512MiB or "
            f"50%, got {text!r}"
        )
    return text


def duckdb_threads() -> int | None:
    """DuckDB's worker threads per connection (`OMNISTOCK_DUCKDB_THREADS`); None: DuckDB's
    default, one per core."""
    text = os.environ.get("OMNISTOCK_DUCKDB_THREADS")
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"OMNISTOCK_DUCKDB_THREADS must be a whole number >= 1, got {text!r}")
    return value


def duckdb_config() -> dict[str, str]:
    """The settings a DuckDB connection of Omnistock opens with (`duckdb.connect(config=...)`)."""
    config = {"memory_limit": duckdb_memory_limit()}
    threads = duckdb_threads()
    if threads is not None:
        config["threads"] = str(threads)
    return config


def export_duckdb_settings() -> dict[str, str]:
    """Write the DuckDB settings, checked, to the environment for dbt: profiles.yml passes
    OMNISTOCK_DUCKDB_SETTINGS (JSON) to dbt-duckdb's `settings` (dbt run by hand, without it,
    keeps DuckDB's defaults)."""
    config = duckdb_config()
    os.environ["OMNISTOCK_DUCKDB_SETTINGS"] = json.dumps(config, sort_keys=True)
    return config
