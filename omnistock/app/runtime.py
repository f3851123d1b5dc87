"""Prepare a Dagster home so runs launched by the CLI, the UI and sensors share one instance."""

from __future__ import annotations

from pathlib import Path

from omnistock.config import Settings, export_environment

# One run at a time and one op per pool: DuckDB allows a single writer process. A queued run
# (a sensor's) is started within a second, not Dagster's default 5.
# Run monitoring (a `dagster dev` daemon) fails runs stuck STARTING or CANCELING after 3 min and
# frees the pool slots a finished run still holds. It cannot see a dead run worker of a STARTED
# run with the default run launcher: omnistock.app.recovery handles those.
DAGSTER_YAML = """\
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
run_queue:
  dequeue_interval_seconds: 1
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  poll_interval_seconds: 60
  free_slots_after_run_end_seconds: 60
telemetry:
  enabled: false
nux:
  enabled: false
"""
# What earlier versions wrote: replaced by the current settings (a file edited by hand is kept).
_BEFORE_RUN_QUEUE = DAGSTER_YAML.replace("run_queue:\n  dequeue_interval_seconds: 1\n", "")
EARLIER_DAGSTER_YAMLS = (
    _BEFORE_RUN_QUEUE.removesuffix("nux:\n  enabled: false\n"),
    _BEFORE_RUN_QUEUE,
)


def prepare_dagster_home(settings: Settings | None = None) -> Settings:
    settings = export_environment(settings)
    config_file = Path(settings.dagster_home) / "dagster.yaml"
    if not config_file.exists() or config_file.read_text() in EARLIER_DAGSTER_YAMLS:
        config_file.write_text(DAGSTER_YAML)
    return settings
