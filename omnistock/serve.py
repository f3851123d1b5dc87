"""`omnistock ui`: the Dagster UI (operations leaders) and the dashboards (planners), on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from omnistock.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def dagster_command(host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "dagster", "dev",
        "-w", str(REPO_ROOT / "workspace.yaml"),
        "-h", host, "-p", str(port),
    ]  # fmt: skip


def serve_ui(settings: Settings, host: str, dagster_port: int, dash_port: int) -> int:
    env = dict(os.environ)
    dagster = subprocess.Popen(dagster_command(host, dagster_port), cwd=REPO_ROOT, env=env)
    print(f"Dagster UI:  http://{host}:{dagster_port}")
    try:
        from dashboards.app import serve

        print(f"Dashboards:  http://{host}:{dash_port}/overview")
        serve(settings.snapshots_dir, host=host, port=dash_port)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        dagster.terminate()
        dagster.wait(timeout=30)
