"""`omnistock ui` for real: it serves both UIs, tells Dagster the dashboards' actual port, and
SIGTERM stops every process it started (no `dagster dev`, webserver or daemon left holding a
port)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from omnistock.app.runtime import DAGSTER_YAML, EARLIER_DAGSTER_YAMLS, prepare_dagster_home
from omnistock.config import get_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
            return True
    except OSError:
        return False


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.mark.slow
def test_sigterm_stops_every_process_ui_started(omnistock_home):
    dagster_port, dash_port = free_port(), free_port()
    ui = subprocess.Popen(
        [sys.executable, "-m", "omnistock.app.cli", "ui"]
        + ["--port", str(dagster_port), "--dash-port", str(dash_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: answers(dash_port), 120, "the dashboards")
        wait_for(lambda: answers(dagster_port), 180, "the Dagster webserver")
        started = descendants(ui.pid)
        # dagster dev, its webserver and its daemon at least
        assert len(started) >= 3, started
        [dagster_dev] = [
            pid for pid in started if b"dagster\0dev" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        environ = Path(f"/proc/{dagster_dev}/environ").read_bytes().split(b"\0")
        assert f"OMNISTOCK_DASHBOARD_URL=http://127.0.0.1:{dash_port}".encode() in environ

        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=60) == 0

        still_running = {pid for pid in started if alive(pid)}
        assert not still_running, still_running
        assert not answers(dash_port) and not answers(dagster_port)
    finally:
        if ui.poll() is None:
            ui.kill()
        for pid in descendants(ui.pid):
            os.kill(pid, signal.SIGKILL)


def test_dagster_home_turns_off_the_sign_up_popup(tmp_path, monkeypatch):
    monkeypatch.setenv("OMNISTOCK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("OMNISTOCK_LANDING_DIR", raising=False)
    monkeypatch.delenv("OMNISTOCK_WAREHOUSE", raising=False)
    config = tmp_path / "dagster_home" / "dagster.yaml"
    config.parent.mkdir()
    # a home prepared by an earlier version is brought up to date ...
    config.write_text(EARLIER_DAGSTER_YAMLS[0])
    prepare_dagster_home(get_settings())
    assert config.read_text() == DAGSTER_YAML
    assert "nux:\n  enabled: false" in DAGSTER_YAML
    # ... one edited by hand is left alone
    config.write_text(DAGSTER_YAML + "# mine\n")
    prepare_dagster_home(get_settings())
    assert config.read_text().endswith("# mine\n")
