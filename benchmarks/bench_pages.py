"""Page loads of the planner dashboards in headless Chromium, on a snapshot of `reference`.

    .venv/bin/python benchmarks/bench_pages.py                      # builds the snapshot once
    .venv/bin/python benchmarks/bench_pages.py --snapshots DIR      # an existing snapshot folder
    .venv/bin/python benchmarks/bench_pages.py --baseline TREE      # also time another checkout

For every page, in its own server process (`dashboards.server.serve`, as `omnistock ui` runs it):

- **cold load**: a fresh browser context (empty cache, nothing compiled) opens the page's URL;
  timed until every graph on it is drawn and no callback is running; with the bytes the
  browser received for it (as sent: compressed when the server compresses);
- **filter change**: on the loaded page a region is chosen in the filter bar; timed from the
  click until the page's callback has answered and the page is drawn again.

Each server first draws every page once (its queries and figure code warm up; the first of
these loads, on a freshly started server, is reported on its own), then the rounds run.

`--baseline TREE` serves a second checkout of the repository (e.g. the commit before a change,
`git archive <rev> | tar -x -C TREE`) from the same snapshot, measured in the same run,
interleaved page by page (which goes first alternates), so both see the same machine load;
the table gives the ratio. Every measurement is repeated (`--repeat`, in rounds) and its
median reported; the machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's dashboards, whatever is installed

from dashboards.pages import PAGES  # noqa: E402
from dashboards.screenshots import PAGE_DRAWN_JS, VIEWPORT, launch_chromium  # noqa: E402

WORK = REPO / "benchmarks" / ".work" / "pages"
PAGE_CALLBACK = "page-content"  # the output of the callback that draws a page
SETTLED_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@dataclass
class Timings:
    cold_s: list[float] = field(default_factory=list)
    cold_bytes: list[int] = field(default_factory=list)
    filter_s: list[float] = field(default_factory=list)
    first_s: float = 0.0  # the page's first load on a freshly started server (not warmed up)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dashboards_server(tree: Path, snapshots: Path):
    """`dashboards.server.serve` of the checkout in `tree`, in its own process; yields its URL."""
    port = free_port()
    code = (
        "import sys\n"
        "try:\n    from dashboards.server import serve\n"
        "except ImportError:  # a checkout from before dashboards/server.py\n"
        "    from dashboards.app import serve\n"
        "serve(sys.argv[1], port=int(sys.argv[2]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(snapshots), str(port)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dashboards of {tree} did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def load_and_filter(browser, url: str, page, region: str) -> tuple[float, int, float]:
    """(cold load seconds, bytes received, filter change seconds) of `page`: drawn in a fresh
    browser context, then `region` chosen in the filter bar until the page is drawn again."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    received = []
    tab.on("requestfinished", lambda request: received.append(request.sizes()))
    try:
        started = time.perf_counter()
        tab.goto(url + page.path)
        tab.wait_for_function(PAGE_DRAWN_JS, arg=page.heading, polling="raf", timeout=120_000)
        tab.evaluate(SETTLED_JS)
        cold = time.perf_counter() - started
        tab.wait_for_load_state("networkidle")
        body = sum(size["responseBodySize"] + size["responseHeadersSize"] for size in received)
        tab.click("#filter-region")
        option = tab.locator(f"[role=option]:has-text('{region}')").first
        option.wait_for()
        with tab.expect_response(
            lambda r: (
                "_dash-update-component" in r.url and PAGE_CALLBACK in (r.request.post_data or "")
            ),
            timeout=120_000,
        ):
            started = time.perf_counter()
            option.click()
        tab.wait_for_function(PAGE_DRAWN_JS, arg=page.heading, polling="raf", timeout=120_000)
        tab.evaluate(SETTLED_JS)
        return cold, body, time.perf_counter() - started
    finally:
        context.close()


def first_region(snapshots: Path) -> str:
    from dashboards.data import filter_options, snapshot_data
    from dashboards.snapshot import SnapshotReader

    with snapshot_data(SnapshotReader(snapshots)) as data:
        if data is None:
            sys.exit(f"no snapshot published in {snapshots}")
        return filter_options(data)["regions"][0]


def build_reference(work: Path) -> Path:
    """Simulate `reference` and run the pipeline into `work/home` once; its snapshots."""
    home = work / "home"
    snapshots = home / "snapshots"
    if not (snapshots / "current").exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "omnistock.app.cli", "demo", "--scenario", "reference"],
            cwd=REPO,
            env={**os.environ, "OMNISTOCK_HOME": str(home), "PYTHONPATH": str(REPO)},
            check=True,
        )
    return snapshots


def measure(trees: dict[str, Path], snapshots: Path, repeat: int) -> dict[str, dict[str, Timings]]:
    from playwright.sync_api import sync_playwright

    region = first_region(snapshots)
    results = {name: {page.slug: Timings() for page in PAGES} for name in trees}
    with sync_playwright() as playwright, ExitStack() as servers:
        browser = launch_chromium(playwright)
        servers.callback(browser.close)
        urls = {
            name: servers.enter_context(dashboards_server(tree, snapshots))
            for name, tree in trees.items()
        }
        for page in PAGES:  # each server draws each page once first: its queries warm up
            for name, url in urls.items():
                results[name][page.slug].first_s = load_and_filter(browser, url, page, region)[0]
        for round_number in range(repeat):
            for number, page in enumerate(PAGES):
                order = list(urls) if (round_number + number) % 2 == 0 else list(urls)[::-1]
                for name in order:
                    cold, received, change = load_and_filter(browser, urls[name], page, region)
                    timings = results[name][page.slug]
                    timings.cold_s.append(cold)
                    timings.cold_bytes.append(received)
                    timings.filter_s.append(change)
    return results


def report(results: dict[str, dict[str, Timings]], repeat: int, loads: tuple) -> None:
    names = list(results)
    ours = names[0]
    print(f"## Dashboard page loads ({repeat} rounds, median; Chromium headless, {VIEWPORT})\n")
    print(f"load average before {loads[0]}, after {loads[1]} (2 cores)\n")
    header = ["page", f"cold load s ({ours})", f"MB ({ours})", f"filter change s ({ours})"]
    for other in names[1:]:
        header += [
            f"cold load s ({other})",
            f"MB ({other})",
            f"filter change s ({other})",
            "× cold",
            "× filter",
        ]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    worst = {"cold": 0.0, "filter": 0.0}
    for page in PAGES:
        cells = [page.path]
        medians = {}
        for name in names:
            timings = results[name][page.slug]
            medians[name] = (
                statistics.median(timings.cold_s),
                statistics.median(timings.cold_bytes) / 1e6,
                statistics.median(timings.filter_s),
            )
        cells += [f"{medians[ours][0]:.2f}", f"{medians[ours][1]:.2f}", f"{medians[ours][2]:.2f}"]
        worst["cold"] = max(worst["cold"], medians[ours][0])
        worst["filter"] = max(worst["filter"], medians[ours][2])
        for other in names[1:]:
            cold, megabytes, change = medians[other]
            cells += [
                f"{cold:.2f}",
                f"{megabytes:.2f}",
                f"{change:.2f}",
                f"{medians[ours][0] / cold:.2f}",
                f"{medians[ours][2] / change:.2f}",
            ]
        print("| " + " | ".join(cells) + " |")
    print(
        f"\nslowest page ({ours}): cold load {worst['cold']:.2f} s (goal < 2 s), "
        f"filter change {worst['filter']:.2f} s (goal < 1 s)"
    )
    first = PAGES[0]
    print(
        f"first load of {first.path} on a freshly started server (its first queries and "
        "figures): "
        + ", ".join(f"{results[name][first.slug].first_s:.2f} s ({name})" for name in names)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshots", type=Path, help="a snapshots folder (default: build one)")
    parser.add_argument("--baseline", type=Path, help="another checkout to time in the same run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=WORK)
    args = parser.parse_args(argv)
    snapshots = args.snapshots or build_reference(args.work_dir.resolve())
    trees = {"this checkout": REPO}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    before = tuple(round(load, 2) for load in os.getloadavg())
    results = measure(trees, snapshots.resolve(), args.repeat)
    after = tuple(round(load, 2) for load in os.getloadavg())
    report(results, args.repeat, (before, after))


if __name__ == "__main__":
    main()
