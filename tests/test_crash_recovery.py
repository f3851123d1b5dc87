"""A run killed with SIGKILL, then rerun, ends equal to a clean run (issue 9, "crash-safe runs").

`omnistock run` runs as a subprocess on a copy of a `tiny` landing folder; the test watches the
run in its Dagster home and kills the whole process group (the CLI and dbt) once the run is in
the phase under test. Before the rerun the dead run is still STARTED (holding the warehouse
pool slot if it died in a pool step) and the warehouse holds no partly loaded file; the rerun
recovers the dead run, finishes, and leaves a warehouse equal to a clean run's (row counts and
content checksums of every table, see warehouse_compare) and no WAL.

One clean run serves both kill cases (each pipeline run of `tiny` costs about a minute).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from warehouse_compare import assert_same_warehouse, partly_loaded_files

from orchestration.resources import WAREHOUSE_POOL

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
# A tiny run takes about a minute (more on a loaded machine); a run blocked on the pool never ends.
RUN_TIMEOUT_SECONDS = 600
POLL_SECONDS = 0.05
INGEST_STEP = "inventory_events"
DBT_STEP = "omnistock_dbt_assets"
# Killed once this many dbt models are built: staging (incremental) done, marts not yet.
DBT_MODELS_BEFORE_KILL = 8


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
            "OMNISTOCK_HOME": str(self.root),
            "OMNISTOCK_LANDING_DIR": str(self.root / "landing"),
            "OMNISTOCK_WAREHOUSE": str(self.warehouse),
            "DAGSTER_HOME": str(self.dagster_home),
            # one transaction per file: a kill during ingest finds some files committed and
            # some not, and ingestion lasts long enough to be caught in the act
            "OMNISTOCK_INGEST_BATCH_RECORDS": "1",
        }

    def command(self, *args: str) -> dict:
        """Popen/run arguments for `omnistock <args>` in this home."""
        return {
            "args": [sys.executable, "-m", "omnistock.app.cli", *args],
            "env": self.env(),
            "cwd": self.root,
        }

    def run(self) -> subprocess.CompletedProcess:
        result = subprocess.run(
            **self.command("run"), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result


def _new_home(tmp_path_factory, name: str, landing: Path) -> Home:
    home = Home(tmp_path_factory.mktemp(name))
    shutil.copytree(landing, home.root / "landing")
    return home


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny") / "landing"
    home = Home(folder.parent)
    subprocess.run(
        **home.command("simulate", "--scenario", "tiny", "--out", str(folder)),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return folder


@pytest.fixture(scope="module")
def clean_warehouse(tmp_path_factory, landing) -> Path:
    home = _new_home(tmp_path_factory, "clean", landing)
    home.run()
    return home.warehouse


# --- watching a run ---------------------------------------------------------------------------


def _step_started(step_key: str) -> Callable[[DagsterInstance, str], bool]:
    def reached(instance: DagsterInstance, run_id: str) -> bool:
        starts = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_START)
        return any(r.event_log_entry.step_key == step_key for r in starts.records)

    return reached


def _ingest_committed(step_key: str, wal: Path) -> Callable[[DagsterInstance, str], bool]:
    """Inside the ingest step, once a transaction has committed (the WAL holds it)."""
    started = _step_started(step_key)

    def reached(instance: DagsterInstance, run_id: str) -> bool:
        return started(instance, run_id) and wal.exists()

    return reached


def _dbt_models_built(count: int) -> Callable[[DagsterInstance, str], bool]:
    def reached(instance: DagsterInstance, run_id: str) -> bool:
        built = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
        ).records
        return sum(r.event_log_entry.step_key == DBT_STEP for r in built) >= count

    return reached


def _started_run_id(dagster_home: Path) -> str | None:
    """The run in progress, read straight from SQLite (no Dagster storage is created here
    while the CLI may still be creating it)."""
    runs_db = dagster_home / "history" / "runs.db"
    if not runs_db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{runs_db}?mode=ro", uri=True) as db:
            rows = db.execute("select run_id from runs where status = 'STARTED'").fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return None
    return rows[0][0] if rows else None


def _kill_when(home: Home, reached: Callable[[DagsterInstance, str], bool]) -> str:
    """Start `omnistock run`, SIGKILL its process group once `reached`; the killed run's id."""
    log = (home.root / "killed_run.log").open("w")
    process = subprocess.Popen(
        **home.command("run"), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    try:
        run_id = None
        while run_id is None:
            run_id = _started_run_id(home.dagster_home)
            _still_running(process, home, deadline)
            time.sleep(POLL_SECONDS)
        with DagsterInstance.from_config(str(home.dagster_home)) as instance:
            while not reached(instance, run_id):
                _still_running(process, home, deadline)
                time.sleep(POLL_SECONDS)
        os.killpg(process.pid, signal.SIGKILL)
        return run_id
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()


def _still_running(process: subprocess.Popen, home: Home, deadline: float) -> None:
    if process.poll() is not None:
        pytest.fail(
            f"the run ended (exit {process.returncode}) before the phase to kill it in:\n"
            + (home.root / "killed_run.log").read_text()
        )
    if time.monotonic() > deadline:
        pytest.fail("the run did not reach the phase to kill it in")


def _killed_run_state(home: Home, run_id: str) -> tuple[DagsterRunStatus, set, set]:
    """(run status, steps that started and never ended, steps holding a pool slot)."""
    with DagsterInstance.from_config(str(home.dagster_home)) as instance:
        status = instance.get_run_by_id(run_id).status
        unfinished = {
            stats.step_key
            for stats in instance.get_run_step_stats(run_id)
            if stats.end_time is None
        }
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        holding = {slot.step_key for slot in info.claimed_slots if slot.run_id == run_id}
    return status, unfinished, holding


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "reached", "pool_step", "leaves_wal"),
    [
        # ingestion holds the pool slot; killed after some files committed (in the WAL)
        pytest.param(
            INGEST_STEP,
            lambda wal: _ingest_committed(INGEST_STEP, wal),
            INGEST_STEP,
            True,
            id="ingest",
        ),  # fmt: skip
        # dbt runs outside the pool; the models it committed are in the WAL
        pytest.param(
            DBT_STEP, lambda wal: _dbt_models_built(DBT_MODELS_BEFORE_KILL), None, True, id="dbt"
        ),
    ],
)
def test_a_run_killed_then_rerun_equals_a_clean_run(
    tmp_path_factory, landing, clean_warehouse, step, reached, pool_step, leaves_wal
):
    home = _new_home(tmp_path_factory, "killed", landing)
    wal = home.warehouse.with_name(home.warehouse.name + ".wal")

    run_id = _kill_when(home, reached(wal))

    status, unfinished, holding = _killed_run_state(home, run_id)
    assert status == DagsterRunStatus.STARTED  # nobody told Dagster the run died
    assert step in unfinished  # killed inside the step
    assert holding == ({pool_step} if pool_step else set())
    assert wal.exists() == leaves_wal
    # no file is in the warehouse in part (a read-only open replays the WAL, leaving it there)
    assert partly_loaded_files(home.warehouse) == []

    rerun = home.run()

    assert f"Recovered run {run_id}" in rerun.stderr
    assert f"steps cut short: {step}" in rerun.stderr
    if pool_step:
        assert f"pool slots freed: {WAREHOUSE_POOL}: {pool_step}" in rerun.stderr
    status, _, holding = _killed_run_state(home, run_id)
    assert status == DagsterRunStatus.FAILURE
    assert holding == set()
    assert not wal.exists()  # replayed and checkpointed by the rerun
    fingerprint = assert_same_warehouse(clean_warehouse, home.warehouse)
    assert fingerprint["raw.inventory_events"][0] > 0
    assert fingerprint["marts.kpi_daily"][0] > 0
