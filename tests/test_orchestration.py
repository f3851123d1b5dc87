"""The Dagster code location: definitions load, the landing sensor, ingestion assets and checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
from ingest_helpers import event, write_jsonl, write_reference

from orchestration.defs.ingest.sensors import landing_sensor
from orchestration.resources import resources_for

REPO = Path(__file__).resolve().parents[1]


def _evaluate(settings, cursor=None, instance=None):
    resources = resources_for(settings)
    with dg.build_sensor_context(
        cursor=cursor,
        resources={"paths": resources["paths"]},
        instance=instance or dg.DagsterInstance.ephemeral(),
    ) as context:
        return landing_sensor(context)


def test_definitions_validate():
    """`dagster definitions validate` loads the code location the way the UI does."""
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_landing_sensor_requests_runs_for_new_files_only(omnistock_home):
    landing = omnistock_home.landing_dir
    write_reference(landing)
    write_jsonl(landing / "pos" / "2026-03-02.jsonl", [event(event_id="e1"), event(event_id="e2")])
    write_jsonl(landing / "_truth" / "ignored.jsonl", [event(event_id="x")])

    first = _evaluate(omnistock_home)
    assert isinstance(first, dg.SensorResult)
    [request] = first.run_requests
    files = request.run_config["ops"]["inventory_events"]["config"]["files"]
    assert files == ["pos/2026-03-02.jsonl"]

    unchanged = _evaluate(omnistock_home, first.cursor)
    assert not unchanged.run_requests and "No new files" in unchanged.skip_reason.skip_message

    write_jsonl(landing / "pos" / "2026-03-03.jsonl", [event(event_id="e3")])
    second = _evaluate(omnistock_home, first.cursor)
    [request2] = second.run_requests
    assert request2.run_config["ops"]["inventory_events"]["config"]["files"] == [
        "pos/2026-03-03.jsonl"
    ]
    assert request2.run_key != request.run_key


def test_landing_sensor_leaves_the_warehouse_alone_while_runs_write_it(omnistock_home):
    """DuckDB does not wait for a lock: a sensor's read-only open between two steps of a run
    made the run's next step fail. The sensor reads the manifest only for files its cursor does
    not know, and never while a run is starting or running."""
    import duckdb

    from omnistock import ingest

    landing = omnistock_home.landing_dir
    write_reference(landing)
    write_jsonl(landing / "pos" / "2026-03-02.jsonl", [event(event_id="e1")])
    with duckdb.connect(str(omnistock_home.warehouse)) as writer:
        ingest.ensure_schema(writer)
    first = _evaluate(omnistock_home)
    [request] = first.run_requests

    with duckdb.connect(str(omnistock_home.warehouse)) as writer:  # a run's step, writing
        writer.execute("select 1").fetchall()
        # nothing new: the tick never opens the warehouse (it would fail here)
        unchanged = _evaluate(omnistock_home, first.cursor)
        assert "No new files" in unchanged.skip_reason.skip_message

    write_jsonl(landing / "pos" / "2026-03-03.jsonl", [event(event_id="e2")])
    instance = dg.DagsterInstance.ephemeral()
    running = instance.add_run(
        dg.DagsterRun(job_name="omnistock_pipeline", status=dg.DagsterRunStatus.STARTED)
    )
    waiting = _evaluate(omnistock_home, first.cursor, instance)
    assert "A run is in progress" in waiting.skip_message  # the cursor is not moved on
    instance.handle_run_event(
        running.run_id,
        dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_SUCCESS.value, job_name=running.job_name
        ),
    )
    [request2] = _evaluate(omnistock_home, first.cursor, instance).run_requests
    assert request2.run_config["ops"]["inventory_events"]["config"]["files"] == [
        "pos/2026-03-03.jsonl"
    ]


def test_every_asset_is_documented_for_operations_leaders():
    """Group, owner, business description and kinds on every asset (the Dagster UI's catalog)."""
    from orchestration.definitions import defs

    specs = list(defs.resolve_all_asset_specs())
    assert len(specs) > 40
    for spec in specs:
        assert spec.group_name and spec.group_name != "default", spec.key
        assert spec.owners, spec.key
        assert spec.description and len(spec.description) > 20, spec.key
        assert spec.kinds, spec.key
