"""An Omnistock home of its own for a test: every OMNISTOCK_* path and DAGSTER_HOME below one
folder, prepared as `omnistock run` prepares it, and the environment restored afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnistock.app.runtime import prepare_dagster_home
from omnistock.config import Settings, get_settings


def home_environment(home: Path) -> dict[str, str]:
    return {
        "OMNISTOCK_HOME": str(home),
        "OMNISTOCK_LANDING_DIR": str(home / "landing"),
        "OMNISTOCK_WAREHOUSE": str(home / "warehouse.duckdb"),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }


@contextlib.contextmanager
def isolated_home(home: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> Iterator[Settings]:
    """For module-scoped fixtures (a MonkeyPatch of their own) or with a test's monkeypatch.
    Variables a test run may inherit that would change the outcome are unset."""
    with contextlib.ExitStack() as stack:
        env = monkeypatch or stack.enter_context(pytest.MonkeyPatch.context())
        for name, value in home_environment(home).items():
            env.setenv(name, value)
        env.delenv("OMNISTOCK_ALERT_URLS", raising=False)
        yield prepare_dagster_home(get_settings())
