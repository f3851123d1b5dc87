"""`omnistock ui`: the Dagster UI (operations leaders) and the dashboards (planners), on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from omnistock.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# How often, while the UI runs, runs whose worker died are looked for (see omnistock.app.recovery).
RECOVERY_INTERVAL_SECONDS = 60.0


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


def serve_ui(settings: Settings, host: str, dagster_port: int, dash_port: int) -> int:
    env = dict(os.environ)
    dagster = subprocess.Popen(dagster_command(host, dagster_port), cwd=REPO_ROOT, env=env)
    print(f"Dagster UI:  http://{host}:{dagster_port}")
    stop_recovery = threading.Event()
    threading.Thread(
        target=recover_while_serving,
        args=(stop_recovery, RECOVERY_INTERVAL_SECONDS),
        name="omnistock-recovery",
        daemon=True,
    ).start()
    try:
        from dashboards.app import serve

        print(f"Dashboards:  http://{host}:{dash_port}/overview")
        serve(settings.snapshots_dir, host=host, port=dash_port)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        stop_recovery.set()
        dagster.terminate()
        dagster.wait(timeout=30)
