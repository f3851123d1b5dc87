"""`omnistock ui`: the Dagster UI (operations leaders) and the dashboards (planners), on loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from omnistock.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# How often, while the UI runs, runs whose worker died are looked for (see omnistock.app.recovery).
RECOVERY_INTERVAL_SECONDS = 60.0
# How long `dagster dev` gets to stop its webserver, daemon and code server before it is killed.
STOP_TIMEOUT_SECONDS = 20.0


def dagster_command(host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "dagster", "dev",
        "-w", str(REPO_ROOT / "workspace.yaml"),
        "-h", host, "-p", str(port),
    ]  # fmt: skip


def recover_while_serving(stop: threading.Event, interval: float) -> None:
    """Sensors launch runs while the UI is up; a run whose worker dies (OOM killer, kill -9)
    would hold the pool slot and the one run allowed at a time until the next start, so look
    for such runs every `interval` seconds."""
    from dagster import DagsterInstance

    from omnistock.app.recovery import recover_stale_runs

    while not stop.wait(interval):
        try:
            with DagsterInstance.get() as instance:
                for recovered in recover_stale_runs(instance):
                    print(recovered.describe(), file=sys.stderr)
        except Exception as error:  # a busy SQLite file, say: try again next time
            print(f"Looking for runs of dead processes failed: {error}", file=sys.stderr)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def stop_process_group(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """Stop a child started in its own session and everything it started: SIGTERM to the group,
    then SIGKILL to whatever is left after `timeout` (a webserver must not keep its port)."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    # `dagster dev` may exit before its webserver and daemon do: give them the rest of the time
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait()


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve_ui(settings: Settings, host: str, dagster_port: int, dash_port: int) -> int:
    link_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    env = dict(os.environ, OMNISTOCK_DASHBOARD_URL=f"http://{link_host}:{dash_port}")
    # Its own session: Ctrl-C in the terminal reaches only this process, which then stops the
    # whole group (dagster dev, its webserver, daemon and code servers) in `finally`.
    dagster = subprocess.Popen(
        dagster_command(host, dagster_port), cwd=REPO_ROOT, env=env, start_new_session=True
    )
    # SIGTERM (systemd, `kill`, a container stop) takes the same way out as Ctrl-C.
    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    print(f"Dagster UI:  http://{host}:{dagster_port}")
    stop_recovery = threading.Event()
    threading.Thread(
        target=recover_while_serving,
        args=(stop_recovery, RECOVERY_INTERVAL_SECONDS),
        name="omnistock-recovery",
        daemon=True,
    ).start()
    try:
        from dashboards.server import serve

        print(f"Dashboards:  http://{host}:{dash_port}/overview")
        serve(settings.snapshots_dir, host=host, port=dash_port)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        stop_recovery.set()
        stop_process_group(dagster)
        signal.signal(signal.SIGTERM, previous_handler)
