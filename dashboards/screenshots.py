"""Screenshots of every dashboard page, of one list of cases behind a figure and of one
case's timeline, drawn by headless Chromium.

Refresh the documentation images from a published snapshot (the reference scenario after
`make demo`):

    python -m dashboards.screenshots                       # snapshots of OMNISTOCK_HOME
    python -m dashboards.screenshots --snapshots DIR --out docs/screenshots

Needs the playwright Python package and Chromium (Debian: /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from .components import Page
from .pages import PAGES, PAGES_BY_PATH

CHROMIUM = os.environ.get("OMNISTOCK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
REPO_ROOT = Path(__file__).resolve().parents[1]

# True once the page body for `heading` is in place, no callback is still running (the
# loading spinner hides the page meanwhile) and every graph in it is drawn.
PAGE_DRAWN_JS = """
(heading) => {
  const content = document.querySelector('#page-content');
  const title = content && content.querySelector('.page-header h1, .message-page h1');
  if (!title || title.textContent !== heading) return false;
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  if (!title.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
  const graphs = [...content.querySelectorAll('.dash-graph')];
  return graphs.every(g => {
    const plot = g.querySelector('.js-plotly-plot');
    return plot && plot._fullLayout && plot.querySelector('.main-svg');
  });
}
"""

# Graph id -> number of data traces, for every graph on the page.
GRAPH_TRACES_JS = """
() => Object.fromEntries([...document.querySelectorAll('#page-content .dash-graph')]
  .map(g => [g.id, (g.querySelector('.js-plotly-plot').data || []).length]))
"""


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_page(
    browser_page, base_url: str, page: Page, *, via_nav: bool = False, timeout_ms: int = 20_000
) -> dict:
    """Show a dashboard page, by its URL or (`via_nav`, faster: no reload) by clicking its
    navigation link; wait until it is drawn. Returns graph id -> number of data traces."""
    if via_nav:
        browser_page.click(f"#nav-{page.slug}")
    else:
        browser_page.goto(base_url + page.path)
    browser_page.wait_for_function(PAGE_DRAWN_JS, arg=page.heading, timeout=timeout_ms)
    return browser_page.evaluate(GRAPH_TRACES_JS)


# The case the timeline screenshot shows: the stalled case that crosses the most systems.
EXAMPLE_CASE_SQL = """
select workflow, case_key from case_events where case_is_stalled
group by workflow, case_key
order by count(distinct source_system) desc, count(*) desc, case_key
limit 1
"""


def example_case(snapshots: Path) -> tuple[str, str] | None:
    """(workflow, case_key) of the case the timeline screenshot shows; None without one."""
    from .snapshot import open_snapshot, read_manifest

    if "case_events" not in read_manifest(snapshots)["tables"]:
        return None
    con = open_snapshot(snapshots)
    try:
        return con.execute(EXAMPLE_CASE_SQL).fetchone()
    finally:
        con.close()


# The list of cases the cases screenshot shows: the reservations behind the latency p95 tile.
EXAMPLE_CASES = "slow-reservations"


def _shoot(browser_page, base_url: str, page: Page, params: dict[str, str], out: Path) -> Path:
    """A drill-down page at its URL (the default window: no dates), full-page."""
    browser_page.goto(f"{base_url}{page.path}?{urlencode(params)}")
    browser_page.wait_for_function(PAGE_DRAWN_JS, arg=page.heading)
    browser_page.screenshot(path=str(out), full_page=True)
    return out


def capture(
    base_url: str,
    out_dir: Path,
    pages: Sequence[Page] = PAGES,
    case: tuple[str, str] | None = None,
    cases: str | None = EXAMPLE_CASES,
) -> list[Path]:
    """One full-page PNG per page, named after its URL (overview.png, orders.png, …); with
    `cases` (a case set) that list of cases (cases.png), with a `case` (workflow, case_key)
    its timeline (timeline.png)."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            browser_page = browser.new_page(viewport=VIEWPORT)
            for number, page in enumerate(pages):
                open_page(browser_page, base_url, page, via_nav=number > 0)
                path = out_dir / f"{page.slug}.png"
                browser_page.screenshot(path=str(path), full_page=True)
                written.append(path)
            if cases:
                listing = PAGES_BY_PATH["/cases"]
                out = out_dir / f"{listing.slug}.png"
                written.append(_shoot(browser_page, base_url, listing, {"set": cases}, out))
            if case:
                timeline = PAGES_BY_PATH["/timeline"]
                params = {"workflow": case[0], "case": case[1]}
                out = out_dir / f"{timeline.slug}.png"
                written.append(_shoot(browser_page, base_url, timeline, params, out))
        finally:
            browser.close()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboards.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--snapshots", help="snapshots folder (default: the configured one)")
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "screenshots"))
    args = parser.parse_args(argv)
    if args.snapshots:
        snapshots = Path(args.snapshots)
    else:
        from omnistock.config import get_settings

        snapshots = get_settings().snapshots_dir
    from .server import BackgroundServer

    with BackgroundServer(snapshots) as server:
        for path in capture(server.url, Path(args.out), case=example_case(snapshots)):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
