"""How the dashboards reach the browser quickly (issue 13: a cold page load under 2 s).

- **A partial plotly.js.** Dash loads plotly.js (4.8 MB, about a second to parse in Chromium)
  from plotly's package the first time a graph draws. The pages draw only cartesian traces
  (scatter, bar, heatmap, box), so that URL answers with plotly.js's official cartesian bundle
  of the same version (`vendor/plotly-cartesian.min.js`, 1.5 MB, from npm's
  plotly.js-cartesian-dist-min; MIT, see vendor/LICENSE-plotly.js.txt).
- **Compressed responses** (flask-compress): the bundle travels as 0.5 MB, a page's
  figures and table rows as a fraction of their JSON. The component suites and assets are the
  same bytes for the life of the process, so each is compressed once and kept; callback
  answers are compressed as they go.

Updating plotly: take the cartesian bundle of the plotly.js version the plotly package ships
(`plotly.offline.get_plotlyjs_version()`; tests/test_dashboards_fixes.py checks they agree).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Request, Response, request
from flask_compress import Compress

PLOTLY_BUNDLE = Path(__file__).with_name("vendor") / "plotly-cartesian.min.js"
# Where dash-renderer fetches plotly.js when it serves its files itself (serve_locally).
PLOTLY_URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"
# The trace types the bundle draws (its README); a page drawing another would stay blank.
BUNDLE_TRACE_TYPES = frozenset(
    {
        "bar",
        "box",
        "contour",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "image",
        "pie",
        "scatter",
        "scatterternary",
        "violin",
    }
)

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
ALGORITHMS = ["br", "gzip"]


def bundle_version(bundle: Path = PLOTLY_BUNDLE) -> str:
    """The plotly.js version in the bundle's banner ("plotly.js (cartesian - minified) v4.1.1")."""
    with bundle.open(encoding="utf-8") as text:
        banner = text.read(200)
    return banner.split(" v", 1)[1].split()[0]


class StaticCompressedCache:
    """flask-compress's cache, keeping only static files (its keys are
    "<algorithm>;<request path>"); every other response is compressed anew."""

    def __init__(self) -> None:
        self._compressed: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._compressed.get(key)

    def set(self, key: str, value: bytes) -> None:
        _, _, path = key.partition(";")
        if path.startswith(STATIC_PREFIXES):
            self._compressed[key] = value


def _cache_key(req: Request) -> str:
    return req.full_path if req.method == "GET" else f"{req.method} {req.path}"


def _serve_partial_plotly(server: Flask) -> None:
    script = PLOTLY_BUNDLE.read_bytes()

    @server.before_request
    def partial_plotly() -> Response | None:
        if request.path != PLOTLY_URL:
            return None
        response = Response(script, mimetype="text/javascript")
        response.add_etag()
        return response.make_conditional(request)


def deliver_fast(server: Flask) -> None:
    """Serve `server` (a Dash app's Flask server) the fast way: the partial plotly.js and
    compressed responses."""
    _serve_partial_plotly(server)
    server.config.update(
        COMPRESS_ALGORITHM=ALGORITHMS,
        COMPRESS_CACHE_BACKEND=StaticCompressedCache,
        COMPRESS_CACHE_KEY=_cache_key,
    )
    Compress(server)
