"""Run a job of the code location headless, recorded in the Dagster home (the UI shows it)."""

from __future__ import annotations

import contextlib
import os

from omnistock.config import Settings


def run_pipeline(
    settings: Settings, job_name: str | None = None, instance=None, full_refresh: bool = False
):
    """Materialize every asset headless, recorded in the Dagster home (the UI shows the run);
    `instance` is the home's Dagster instance if the caller has it open already. With
    `full_refresh` dbt rebuilds its incremental models from scratch (it does anyway when the
    dbt project changed since the warehouse was last built)."""
    from dagster import DagsterInstance

    from omnistock.app.recovery import worker_tags
    from orchestration.defs.transform import prepare_manifest
    from orchestration.jobs import PIPELINE_JOB_NAME

    prepare_manifest()
    from orchestration.definitions import defs
    from orchestration.defs.transform import omnistock_dbt_assets

    job = defs.resolve_job_def(job_name or PIPELINE_JOB_NAME)
    # The console shows warnings and errors; every event is still recorded for the UI. The
    # tools' own output (dbt prints every node and test) goes to a log file in the home unless
    # a chattier level is asked for.
    log_level = os.environ.get("OMNISTOCK_LOG_LEVEL", "WARNING")
    run_config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if full_refresh:
        if not job.graph.has_node_named(omnistock_dbt_assets.op.name):
            raise SystemExit(f"--full-refresh: job {job.name} builds no dbt models")
        run_config["ops"] = {omnistock_dbt_assets.op.name: {"config": {"full_refresh": True}}}
    quiet = log_level.upper() in ("WARNING", "ERROR", "CRITICAL")
    tool_log = settings.home / "logs" / "pipeline.log"
    tool_log.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if instance is None:
            instance = stack.enter_context(DagsterInstance.get())
        if quiet:
            output = stack.enter_context(tool_log.open("a", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(output))
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=worker_tags()
        )
    if not result.success:
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        raise SystemExit(
            f"Pipeline run {result.run_id} failed in steps: {', '.join(failed)}"
            + (f" (tool output: {tool_log})" if quiet else "")
        )
    if quiet:
        print(f"Run {result.run_id} done; tool output (dbt) in {tool_log}")
    return result
