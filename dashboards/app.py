"""The planner dashboards: a Dash app over the published snapshot (never the warehouse).

The URL is the view: one callback draws the page for the URL's path and query string (the
global filters and the page's own parameters, `filters.Filters.from_url`), another keeps the
filter bar and the query string in step (a control changes the URL, a URL sets the
controls), so a link reproduces the view, the navigation keeps the filters and the
browser's back button steps through them. A chart mark that carries a link opens it
(`links.Drill`); tables are paged on the server and download their rows as CSV (paging.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from dash import ALL, Dash, Input, Output, ctx, dcc, html, no_update

from .components import Page, graph_id, message_page, page_header, reversed_dates
from .data import date_bounds, filter_options, resolve_locations, snapshot_data
from .delivery import deliver_fast
from .desk import Desk
from .filters import Filters, global_search
from .kpi_queries import kpi_window
from .links import CASES_PATH
from .pages import DRILL_PAGES, PAGES
from .paging import register_paging
from .snapshot import SnapshotReader

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("assets")
FILTER_INPUTS = (
    Input("filter-dates", "start_date"),
    Input("filter-dates", "end_date"),
    Input("filter-channel", "value"),
    Input("filter-region", "value"),
    Input("filter-location", "value"),
)


@dataclass(frozen=True)
class FilterDefaults:
    first_day: date | None  # the days a planner can pick
    last_day: date | None
    options: dict
    start: date | None = None  # the default window: it ends at the data horizon
    end: date | None = None

    def url_filters(self, search: str | None) -> Filters:
        """The filters a URL query string asks for: the default window where it names no
        dates, and only the channels, regions and locations the filter bar offers (anything
        else a URL carries is ignored)."""
        filters = Filters.from_url(search, self.start, self.end)
        offered = {
            "channels": set(self.options["channels"]),
            "regions": set(self.options["regions"]),
            "locations": {value for value, _ in self.options["locations"]},
        }
        return replace(
            filters,
            **{
                name: tuple(v for v in getattr(filters, name) if v in offered[name])
                for name in offered
            },
        )


def _filter_defaults(reader: SnapshotReader) -> FilterDefaults:
    with snapshot_data(reader) as data:
        if data is None:
            return FilterDefaults(None, None, {"channels": [], "regions": [], "locations": []})
        first, last = date_bounds(data)
        start, end = kpi_window(data)
        return FilterDefaults(first, last, filter_options(data), start, end)


def _filter(label: str, control, wide: bool = False) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=control.id), control],
        className="filter wide-filter" if wide else "filter",
    )


def _dropdown(element_id: str, options: list, placeholder: str) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=element_id,
        options=options,
        value=[],
        multi=True,
        placeholder=placeholder,
    )


def _filter_bar(defaults: FilterDefaults) -> html.Div:
    dates = dcc.DatePickerRange(
        id="filter-dates",
        start_date=defaults.start,
        end_date=defaults.end,
        min_date_allowed=defaults.first_day,
        max_date_allowed=defaults.last_day,
        display_format="YYYY-MM-DD",
        clearable=True,
    )
    options = defaults.options
    locations = _location_options(options["locations"])
    return html.Div(
        [
            _filter("Dates", dates),
            _filter("Channel", _dropdown("filter-channel", options["channels"], "All channels")),
            _filter("Region", _dropdown("filter-region", options["regions"], "All regions")),
            _filter("Location", _dropdown("filter-location", locations, "All locations"), True),
            html.Button("Reset filters", id="filter-reset", className="reset", n_clicks=0),
        ],
        className="filter-bar",
        id="filter-bar",
    )


def _location_options(locations: list[tuple[str, str]]) -> list[dict]:
    return [{"label": label, "value": value} for value, label in locations]


def _shell(reader: SnapshotReader, pages: Sequence[Page]) -> html.Div:
    defaults = _filter_defaults(reader)
    return html.Div(
        [
            # callback-nav: a URL a callback writes navigates without reloading the app
            dcc.Location(id="url", refresh="callback-nav"),
            # the filters of the page shown, for a page's own callbacks (the queue's form)
            dcc.Store(id="global-filters"),
            html.Header(
                [
                    html.Div(
                        [
                            html.Span("Omnistock", className="brand"),
                            html.Span("planner dashboards", className="brand-sub"),
                        ]
                    ),
                    html.Span(id="snapshot-status", className="snapshot-status"),
                ],
                className="topbar",
            ),
            html.Nav(
                [
                    dcc.Link(
                        page.title, href=page.path, id=f"nav-{page.slug}", className="nav-link"
                    )
                    for page in pages
                ],
                className="nav",
            ),
            _filter_bar(defaults),
            dcc.Loading(
                html.Main(id="page-content", className="content"), type="dot", delay_show=400
            ),
        ],
        className="app",
    )


def _page_at(pathname: str | None, pages: Sequence[Page]) -> Page | None:
    """The page at a URL (the navigation's, then the drill-down pages); the first page is the
    home page."""
    if pathname in (None, "", "/"):
        return pages[0]
    routes = [*pages, *DRILL_PAGES]
    return next((page for page in routes if page.path == pathname.rstrip("/")), None)


def mark_link(click: dict | None) -> str | None:
    """The link a clicked chart mark carries (`links.Drill.mark_links`: a point's id, or a
    box point's or heatmap cell's customdata): only a link to the cases of this app is
    followed."""
    points = (click or {}).get("points") or [{}]
    link = points[0].get("id") or points[0].get("customdata")  # a heatmap cell's: customdata
    return link if isinstance(link, str) and link.startswith(CASES_PATH + "?") else None


def render_page(
    reader: SnapshotReader,
    pathname: str | None,
    filters: Filters,
    pages: Sequence[Page] = PAGES,
    desk: Desk | None = None,
) -> tuple[list | html.Div, str]:
    """(page body, snapshot status line) for a URL; never raises into the browser. Without
    a `desk` the pages show no work log entries after the snapshot's, and no alerts."""
    page = _page_at(pathname, pages)
    with snapshot_data(reader, desk) as data:
        if data is None:
            return message_page(
                "No snapshot published yet",
                "The dashboards show the published snapshot of the warehouse. "
                "Run the pipeline (omnistock run) to publish one.",
                "no-snapshot",
            ), "no snapshot"
        snapshot = data.snapshot
        status = f"snapshot {snapshot.version} · data as of {snapshot.as_of or 'unknown'}"
        if page is None:
            links = [html.Li(dcc.Link(p.title, href=p.path)) for p in pages]
            return html.Div(
                [message_page("Page not found", f"There is no page at {pathname}."), html.Ul(links)]
            ), status
        try:
            header = page_header(page, snapshot.as_of, snapshot.horizon_date)
            if "dates" in page.applies and (problem := reversed_dates(filters)):
                return [header, problem], status
            return [header, *page.render(data, filters)], status
        except Exception as error:  # a broken page must not take the app down with it
            log.exception("page %s failed to render", page.path)
            return [
                page_header(page, snapshot.as_of, snapshot.horizon_date),
                html.Div(
                    [html.H3("This page could not be drawn"), html.Pre(repr(error))],
                    className="card page-error",
                ),
            ], status


def _register_callbacks(
    app: Dash, reader: SnapshotReader, pages: Sequence[Page], desk: Desk
) -> None:
    @app.callback(
        Output("page-content", "children"),
        Output("snapshot-status", "children"),
        Output("global-filters", "data"),
        *[Output(f"nav-{page.slug}", "className") for page in pages],
        *[Output(f"nav-{page.slug}", "href") for page in pages],
        Input("url", "pathname"),
        Input("url", "search"),
    )
    def show_page(pathname, search):
        filters = _filter_defaults(reader).url_filters(search)
        body, status = render_page(reader, pathname, filters, pages, desk)
        active = _page_at(pathname, pages)
        classes = ["nav-link active" if page == active else "nav-link" for page in pages]
        # the navigation keeps the global filters as the URL gives them (absent dates stay
        # the default window), not the page's own parameters
        links = [page.path + global_search(search) for page in pages]
        return body, status, filters.to_store(), *classes, *links

    @app.callback(
        Output("url", "search"),
        Output("filter-dates", "start_date"),
        Output("filter-dates", "end_date"),
        Output("filter-channel", "value"),
        Output("filter-region", "value"),
        Output("filter-location", "value"),
        Input("url", "search"),
        *FILTER_INPUTS,
        Input("filter-reset", "n_clicks"),
    )
    def sync_filters(search, start, end, channels, regions, locations, _reset):
        """The URL sets the filter bar (on load and on every navigation); a control or the
        reset button sets the URL."""
        defaults = _filter_defaults(reader)
        current = defaults.url_filters(search)
        if ctx.triggered_id in (None, "url"):
            return no_update, *_controls(current)
        if ctx.triggered_id == "filter-reset":
            reset = Filters(defaults.start, defaults.end, page_params=current.page_params)
            return global_search("", current.page_params), *_controls(reset)
        chosen = Filters.from_store(
            {
                "start": start,
                "end": end,
                "channels": channels,
                "regions": regions,
                "locations": locations,
            }
        )
        return chosen.to_url(**dict(current.page_params)), *[no_update] * 5

    @app.callback(
        Output("url", "href"),
        Input(graph_id(ALL), "clickData"),
        prevent_initial_call=True,
    )
    def follow_mark(_clicks):
        link = mark_link(ctx.triggered[0]["value"] if ctx.triggered else None)
        return link or no_update

    @app.callback(Output("filter-location", "options"), Input("filter-region", "value"))
    def narrow_locations(regions):
        """Offer only the locations of the selected regions."""
        with snapshot_data(reader) as data:
            if data is None:
                return []
            locations = filter_options(data)["locations"]
            inside = resolve_locations(data, Filters(regions=tuple(regions or ())))
        if inside is not None:
            locations = [(value, label) for value, label in locations if value in set(inside)]
        return _location_options(locations)

    for page in pages:
        if page.register is not None:
            page.register(app, reader, desk)


def _controls(filters: Filters) -> tuple:
    """The filter bar's values for these filters."""
    return (
        filters.start,
        filters.end,
        list(filters.channels),
        list(filters.regions),
        list(filters.locations),
    )


def create_app(
    snapshots_dir: Path | str,
    pages: Sequence[Page] = PAGES,
    *,
    home: Path | str | None = None,
    writable: bool = True,
) -> Dash:
    """The dashboards over the snapshots in `snapshots_dir` (follows new publishes), with
    `pages` in the navigation (the registry `pages.PAGES` unless told). The exception queue
    writes to `home`'s work log (unless not `writable`) and the pages show its active alerts
    (default home: the folder of `snapshots_dir`, as omnistock.config lays it out)."""
    reader = SnapshotReader(snapshots_dir)
    desk = Desk.at_home(home, writable) if home else Desk.beside(snapshots_dir, writable)
    app = Dash(
        __name__,
        title="Omnistock · planner dashboards",
        assets_folder=str(ASSETS),
        update_title=None,
        # a page's own controls and graphs exist only while it is shown
        suppress_callback_exceptions=True,
    )
    app.layout = lambda: _shell(reader, pages)  # each page load sees the latest snapshot
    deliver_fast(app.server)  # partial plotly.js, compressed responses
    _register_callbacks(app, reader, pages, desk)
    register_paging(app, reader, [*pages, *DRILL_PAGES], desk)  # every table, one page a view
    return app
