"""Serving the dashboards: blocking (`omnistock ui`) or from a daemon thread (tests,
screenshots). The exception queue is writable on loopback only (there are no logins)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_app
from .components import Page
from .pages import PAGES


def serve(
    snapshots_dir: Path | str,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    home: Path | str | None = None,
) -> None:
    """Serve the dashboards (blocking); loopback only unless a host is given, and then the
    exception queue is read-only (there are no logins)."""
    app = create_app(snapshots_dir, home=home, writable=is_loopback(host))
    app.run(host=host, port=port, debug=False)


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or a name) is this machine's loopback interface only."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, *args) -> None:  # one line per asset and callback is only noise
        pass


class BackgroundServer:
    """The dashboards served from a daemon thread (tests, screenshots); port 0 = any free."""

    def __init__(
        self,
        snapshots_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        pages: Sequence[Page] = PAGES,
        home: Path | str | None = None,
    ):
        self.app = create_app(snapshots_dir, pages, home=home, writable=is_loopback(host))
        self._server = make_server(
            host, port, self.app.server, threaded=True, request_handler=_QuietRequestHandler
        )
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="omnistock-dashboards"
        )

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
