"""Recover the Dagster home from runs whose process died (kill -9, power loss, OOM killer).

A killed run never reports its end: it stays STARTED in the Dagster instance and keeps the
warehouse pool slot its step claimed, so the next run waits forever ("Step blocked by limit for
pool"). `recover_stale_runs` runs before anything launches (`omnistock run`, `demo`, `ui`):
every run that is in progress, or holds or waits for a pool slot, and whose process is gone,
is marked failed (canceled if it was canceling) and its slots are freed.

Which process runs a run, and is it gone?

- Runs of `omnistock run`/`demo` carry the tag `omnistock/worker`: host name, boot id, pid and
  the process's start time in clock ticks since boot (Linux `/proc`). The run's process is gone
  when no process has that pid and start time, or the machine has rebooted since. A run tagged
  on another host is left alone (this host cannot see its processes).
- Other runs (launched by `dagster dev`: sensors, the UI) have no such tag. Dagster records the
  pid of the process that emits each event; the run-start event comes from the run worker. That
  process is gone when the pid does not exist (or is a zombie), or belongs to a process started
  after the run started (the pid was reused).

A live run, of this CLI or of a `dagster dev` on the same home, is never touched: its process
exists. Runs that never started (queued, starting) hold no slot; a STARTING run whose launcher
died is failed by Dagster's run monitoring (`omnistock.app.runtime` enables it for `dagster dev`).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

WORKER_TAG = "omnistock/worker"
STALE_STATUSES = [DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
# A process that started this long after the run it is supposed to run has reused the run
# worker's pid. Generous, so that a wall-clock step (NTP) never makes a live worker look new.
PID_REUSE_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class ProcessIdentity:
    """A process, told apart from a later one that reuses its pid."""

    host: str
    pid: int
    boot_id: str | None
    start_ticks: int | None

    @classmethod
    def current(cls) -> ProcessIdentity:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _boot_id(), _process_stat(pid)[1])

    def to_tag(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_tag(cls, value: str) -> ProcessIdentity | None:
        try:
            return cls(**json.loads(value))
        except (TypeError, ValueError):
            return None

    def is_gone(self) -> bool:
        """True when this process no longer runs on this host (False when it runs, or when it
        belongs to another host, whose processes this host cannot see)."""
        if self.host != socket.gethostname():
            return False
        if self.boot_id and _boot_id() and self.boot_id != _boot_id():
            return True
        running, start_ticks = _process_stat(self.pid)
        if not running:
            return True
        return None not in (self.start_ticks, start_ticks) and start_ticks != self.start_ticks


def worker_tags() -> dict[str, str]:
    """Tags for a run executed in this process, so a later start can tell if it died."""
    return {WORKER_TAG: ProcessIdentity.current().to_tag()}


@dataclass(frozen=True)
class RecoveredRun:
    run_id: str
    job_name: str
    status: str
    """The run's status after recovery (unchanged if it had already ended)."""
    process: str
    steps: tuple[str, ...]
    """Steps that started and never ended."""
    slots: tuple[str, ...]
    """Pool slots freed, as `pool: step` (steps only waiting for a slot included)."""

    def describe(self) -> str:
        steps = ", ".join(self.steps) or "none"
        slots = ", ".join(self.slots) or "none"
        return (
            f"Recovered run {self.run_id} ({self.job_name}): its process ({self.process}) is "
            f"gone; status {self.status}; steps cut short: {steps}; pool slots freed: {slots}"
        )


def recover_stale_runs(instance: DagsterInstance) -> list[RecoveredRun]:
    """Mark the runs of dead processes failed and free their pool slots; returns what was
    recovered (nothing when every run in progress is alive)."""
    slots = _slots_by_run(instance)
    in_progress = instance.get_run_records(filters=RunsFilter(statuses=STALE_STATUSES))
    run_ids = {record.dagster_run.run_id for record in in_progress}
    recovered = []
    for run_id in sorted(run_ids | slots.keys()):
        record = instance.get_run_record_by_id(run_id)
        if record is None:  # deleted by hand while it held a slot: nothing can finish it
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            recovered.append(
                RecoveredRun(run_id, "?", "deleted", "unknown", (), tuple(slots[run_id]))
            )
            continue
        process = _dead_process(instance, record.dagster_run)
        if process is None:
            continue
        # Read again now that its process is gone: it may have ended just before it exited.
        run = instance.get_run_by_id(run_id)
        steps = _unfinished_steps(instance, run_id)
        if not run.is_finished:
            message = (
                f"The process running this run ({process}) is gone (killed or crashed): "
                "marked ended and its pool slots freed (omnistock.app.recovery) so later runs can start."
            )
            if run.status == DagsterRunStatus.CANCELING:
                instance.report_run_canceled(run, message)
            else:
                instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        status = instance.get_run_by_id(run_id).status.value
        recovered.append(
            RecoveredRun(run_id, run.job_name, status, process, steps, tuple(slots.get(run_id, ())))
        )
    return recovered


def _dead_process(instance: DagsterInstance, run) -> str | None:
    """A description of the run's process if it is gone; None if it lives or is unknown."""
    identity = ProcessIdentity.from_tag(run.tags.get(WORKER_TAG, ""))
    if identity is not None:
        return f"pid {identity.pid} on {identity.host}" if identity.is_gone() else None
    started = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.RUN_START, limit=1
    ).records
    if not started or started[0].event_log_entry.dagster_event is None:
        return None  # never started: holds nothing (a STARTING run is run monitoring's)
    entry = started[0].event_log_entry
    pid = entry.dagster_event.pid
    if pid is None:
        return None
    running, start_ticks = _process_stat(pid)
    if not running:
        return f"pid {pid}"
    started_at = _ticks_to_timestamp(start_ticks)
    if started_at is not None and started_at > entry.timestamp + PID_REUSE_MARGIN_SECONDS:
        return f"pid {pid}, since reused"
    return None


def _unfinished_steps(instance: DagsterInstance, run_id: str) -> tuple[str, ...]:
    return tuple(
        stats.step_key
        for stats in instance.get_run_step_stats(run_id)
        if stats.start_time is not None and stats.end_time is None
    )


def _slots_by_run(instance: DagsterInstance) -> dict[str, list[str]]:
    """`pool: step` of every claimed slot and every step waiting for one, by run id."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    by_run: dict[str, list[str]] = {}
    for pool, info in storage.get_concurrency_infos(list(storage.get_concurrency_keys())).items():
        held = {(slot.run_id, slot.step_key) for slot in info.claimed_slots}
        held |= {(step.run_id, step.step_key) for step in info.pending_steps}
        for run_id, step_key in sorted(held):
            by_run.setdefault(run_id, []).append(f"{pool}: {step_key}")
    return by_run


# --- processes (Linux /proc; elsewhere only "does the pid exist") -------------------------------

PROC = Path("/proc")


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _process_stat(pid: int) -> tuple[bool, int | None]:
    """(is it running, its start time in clock ticks since boot if known). A zombie (killed,
    not yet reaped by its parent) is not running."""
    if not PROC.is_dir():
        return _pid_exists(pid), None
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return False, None
    except OSError:
        return _pid_exists(pid), None
    # the command name (field 2) may hold spaces and parentheses: split after its last ")"
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0] not in ("Z", "X"), int(fields[19])


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ticks_to_timestamp(ticks: int | None) -> float | None:
    """A start time in clock ticks since boot as a Unix timestamp (Linux only)."""
    if ticks is None:
        return None
    try:
        boot_line = next(
            line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
    except (OSError, StopIteration):
        return None
    return int(boot_line.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
