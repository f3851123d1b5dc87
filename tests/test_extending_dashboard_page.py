"""docs/extending.md, "Add a dashboard page", followed step by step on its toy page: the
guide's four files are written as they stand in the guide into a temporary package, the page
is registered next to the real ones and drawn on the dashboards' test snapshot."""

from __future__ import annotations

import importlib
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from dashboard_fixtures import find_component, publish_fixture_snapshot

from dashboards.app import create_app, render_page
from dashboards.filters import Filters
from dashboards.pages import PAGES
from dashboards.snapshot import SnapshotReader

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
PACKAGE = "oversell_incidents"
FILE_BLOCK = re.compile(rf"```python\n# dashboards/pages/{PACKAGE}/(\w+\.py)\n(.*?)```", re.S)


def guide_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## Add a dashboard page")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


@pytest.fixture
def toy_page(tmp_path, monkeypatch):
    """Steps 1-4: the page package, file by file from the guide."""
    files = dict(FILE_BLOCK.findall(guide_section()))
    assert sorted(files) == ["__init__.py", "figures.py", "layout.py", "queries.py"]
    package = tmp_path / "toy" / PACKAGE
    package.mkdir(parents=True)
    for name, code in files.items():
        (package / name).write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(package.parent))
    yield importlib.import_module(PACKAGE)
    for module in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[module]


@pytest.fixture
def pages(toy_page):
    """Step 5, as the guide's edit of dashboards/pages/__init__.py registers it."""
    registration = guide_section().split("**5. Register it**")[1]
    assert f"from . import {PACKAGE}" in registration
    assert f"{PACKAGE}.PAGE," in registration
    return (*PAGES, toy_page.PAGE)


def test_the_guides_page_draws_the_kpi_per_day(tmp_path, pages):
    """kpi_daily holds oversell_incidents = day % 3 on each of the ten days; over 03-03 ..
    03-10 the complete days 3-9 count 0, 1, 2, 0, 1, 2, 0 = 6 incidents (03-10, after the
    data horizon, is left out)."""
    reader = SnapshotReader(publish_fixture_snapshot(tmp_path))
    filters = Filters(start=date(2026, 3, 3), end=date(2026, 3, 10))
    body, _ = render_page(reader, "/oversell-incidents", filters, pages)
    assert "page-error" not in str(body)
    figure = find_component(body, "oversell-incidents-by-day").figure
    [bars] = figure.data
    assert list(bars.x) == [date(2026, 3, day) for day in range(3, 10)]
    assert list(bars.y) == [0, 1, 2, 0, 1, 2, 0]
    assert "6 oversell incidents in the selected dates" in figure.layout.title.text
    assert "How many oversell incidents, and on which days?" in str(body)  # the header


def test_the_registered_page_is_in_the_apps_navigation(tmp_path, pages):
    client = create_app(publish_fixture_snapshot(tmp_path), pages).server.test_client()
    assert client.get("/oversell-incidents").status_code == 200
    layout = client.get("/_dash-layout")
    assert b"nav-oversell-incidents" in layout.data and b"nav-overview" in layout.data
