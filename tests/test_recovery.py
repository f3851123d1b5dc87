"""omnistock.app.recovery on a real Dagster home: runs of dead processes are failed and their pool
slots freed; runs of live processes (this CLI, a `dagster dev` run worker) are left alone.

Runs are recorded as Dagster records them (a run, its run-start event with the pid of the
process that emits it, a step start, a claimed pool slot); the "workers" are real processes.
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from dagster import DagsterEvent, DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus
from dagster._core.definitions.dependency import NodeHandle
from dagster._core.execution.plan.handle import StepHandle

from omnistock.app.recovery import WORKER_TAG, ProcessIdentity, recover_stale_runs
from orchestration.resources import WAREHOUSE_POOL

JOB = "omnistock_pipeline"
STEP = "inventory_events"


@pytest.fixture
def instance(omnistock_home):
    with DagsterInstance.get() as instance:
        yield instance


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])


@pytest.fixture
def dead_pid():
    """The pid of a process that ran and was reaped."""
    process = _sleeper()
    process.kill()
    process.wait()
    return process.pid


@pytest.fixture
def live_worker():
    process = _sleeper()
    yield process
    process.kill()
    process.wait()


def _started_run(instance, pid: int, tags: dict | None = None) -> str:
    """A run STARTED by process `pid`, in step STEP, holding the warehouse pool slot."""
    run_id = str(uuid.uuid4())
    instance.add_run(
        DagsterRun(job_name=JOB, run_id=run_id, status=DagsterRunStatus.NOT_STARTED, tags=tags)
    )
    instance.report_dagster_event(
        DagsterEvent(DagsterEventType.RUN_START.value, job_name=JOB, pid=pid), run_id
    )
    step = StepHandle(NodeHandle(STEP, None))
    instance.report_dagster_event(
        DagsterEvent(DagsterEventType.STEP_START.value, job_name=JOB, step_handle=step, pid=pid),
        run_id,
    )
    # as a run's step claims it: the pool gets the instance's default limit (1) first
    instance.event_log_storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    claim = instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, STEP)
    assert claim.is_claimed
    return run_id


def _tagged(identity: ProcessIdentity) -> dict:
    return {WORKER_TAG: identity.to_tag()}


def _status(instance, run_id: str) -> DagsterRunStatus:
    return instance.get_run_by_id(run_id).status


def _slot_holders(instance) -> set[str]:
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return {slot.run_id for slot in info.claimed_slots}


def test_a_cli_run_whose_process_died_is_failed_and_frees_its_slot(instance, dead_pid):
    identity = dataclasses.replace(ProcessIdentity.current(), pid=dead_pid)
    run_id = _started_run(instance, dead_pid, _tagged(identity))
    assert _slot_holders(instance) == {run_id}

    [recovered] = recover_stale_runs(instance)

    assert (recovered.run_id, recovered.status) == (run_id, "FAILURE")
    assert recovered.steps == (STEP,)
    assert recovered.slots == (f"{WAREHOUSE_POOL}: {STEP}",)
    assert f"pid {dead_pid}" in recovered.describe()
    assert _status(instance, run_id) == DagsterRunStatus.FAILURE
    assert _slot_holders(instance) == set()
    # the slot can be claimed again: the next run is not blocked
    claim = instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, "next", STEP)
    assert claim.is_claimed
    instance.event_log_storage.free_concurrency_slots_for_run("next")
    assert recover_stale_runs(instance) == []  # done once


def test_a_live_cli_run_is_left_alone(instance):
    me = ProcessIdentity.current()
    run_id = _started_run(instance, me.pid, _tagged(me))

    assert recover_stale_runs(instance) == []
    assert _status(instance, run_id) == DagsterRunStatus.STARTED
    assert _slot_holders(instance) == {run_id}


def test_a_reused_pid_does_not_keep_a_dead_run_alive(instance):
    """The tagged pid runs, but it is another process (it started at another time)."""
    me = ProcessIdentity.current()
    earlier = dataclasses.replace(me, start_ticks=me.start_ticks - 1)
    run_id = _started_run(instance, me.pid, _tagged(earlier))

    [recovered] = recover_stale_runs(instance)
    assert recovered.run_id == run_id and _status(instance, run_id) == DagsterRunStatus.FAILURE


def test_a_run_of_another_host_is_left_alone(instance, dead_pid):
    elsewhere = dataclasses.replace(ProcessIdentity.current(), host="elsewhere", pid=dead_pid)
    run_id = _started_run(instance, dead_pid, _tagged(elsewhere))

    assert recover_stale_runs(instance) == []
    assert _status(instance, run_id) == DagsterRunStatus.STARTED


def test_a_dagster_dev_run_is_judged_by_its_run_worker_pid(instance, live_worker):
    """Untagged (launched by `dagster dev`): alive while the worker that started it runs."""
    run_id = _started_run(instance, live_worker.pid)
    assert recover_stale_runs(instance) == []
    assert _status(instance, run_id) == DagsterRunStatus.STARTED

    live_worker.send_signal(signal.SIGKILL)
    live_worker.wait()
    [recovered] = recover_stale_runs(instance)
    assert recovered.run_id == run_id and _status(instance, run_id) == DagsterRunStatus.FAILURE
    assert _slot_holders(instance) == set()


def test_a_killed_worker_not_yet_reaped_counts_as_dead(instance, live_worker):
    """A zombie keeps its pid until its parent waits for it; it runs nothing."""
    run_id = _started_run(instance, live_worker.pid)
    live_worker.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{live_worker.pid}/stat").read_text()
        state = stat.rsplit(")", 1)[1].split()[0]
        if state == "Z":
            break
        time.sleep(0.05)

    [recovered] = recover_stale_runs(instance)
    assert recovered.run_id == run_id and _status(instance, run_id) == DagsterRunStatus.FAILURE


def test_a_finished_run_still_holding_a_slot_gets_it_freed(instance, dead_pid):
    """E.g. marked failed by hand in the UI after its worker died: the slot stayed claimed."""
    run_id = _started_run(instance, dead_pid)
    instance.report_run_failed(instance.get_run_by_id(run_id), "marked failed by hand")

    [recovered] = recover_stale_runs(instance)
    assert recovered.slots == (f"{WAREHOUSE_POOL}: {STEP}",)
    assert _slot_holders(instance) == set()


def test_a_canceling_run_whose_process_died_is_canceled(instance, dead_pid):
    run_id = _started_run(instance, dead_pid)
    instance.report_run_canceling(instance.get_run_by_id(run_id))

    recover_stale_runs(instance)
    assert _status(instance, run_id) == DagsterRunStatus.CANCELED


def test_a_slot_held_by_a_deleted_run_is_freed(instance, dead_pid):
    """The old workaround (deleting the stuck run by hand) could leave its slot claimed."""
    run_id = _started_run(instance, dead_pid)
    instance.run_storage.delete_run(run_id)

    [recovered] = recover_stale_runs(instance)
    assert (recovered.run_id, recovered.status) == (run_id, "deleted")
    assert _slot_holders(instance) == set()


def test_omnistock_ui_keeps_recovering_while_it_serves(instance, live_worker):
    """A sensor's run whose worker dies while the UI is up is recovered without a restart."""
    from omnistock.app.serve import recover_while_serving

    run_id = _started_run(instance, live_worker.pid)
    stop = threading.Event()
    sweeper = threading.Thread(target=recover_while_serving, args=(stop, 0.05))
    sweeper.start()
    try:
        time.sleep(0.3)
        assert _status(instance, run_id) == DagsterRunStatus.STARTED  # alive: left alone
        live_worker.kill()
        live_worker.wait()
        deadline = time.monotonic() + 10
        while _status(instance, run_id) != DagsterRunStatus.FAILURE:
            assert time.monotonic() < deadline, "the dead run was not recovered"
            time.sleep(0.05)
    finally:
        stop.set()
        sweeper.join(timeout=10)
    assert _slot_holders(instance) == set()
