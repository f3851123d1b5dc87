"""The global filters (date range, channel, region, location), how they live in the URL and
how they reach SQL.

The URL's query string is the view: `?start=2026-03-03&end=2026-03-09&channel=web&region=
north&location=S001` (a key repeats for several values; an empty date is open-ended, an
absent one the default window), plus the parameters a page reads itself (`Filters.
page_params`, e.g. the case set of /cases). A parameter that does not parse is ignored, never
an error. Filter values only ever travel as bound parameters: `Conditions` collects SQL
fragments written in this package (column names are code constants) and the values
separately, and the query helper passes them to `con.execute(sql, params)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import parse_qsl, urlencode

DEFAULT_WINDOW_DAYS = 14
# The marts' value for a dimension an event lacks (a sale without a channel): kpi_daily and
# kpi_observations report it as a value of its own, so the filters offer and match it too.
UNKNOWN = "unknown"


def default_period(
    first_day: date | None, last_day: date | None, days: int = DEFAULT_WINDOW_DAYS
) -> tuple[date | None, date | None]:
    """The last `days` days of data: recent enough to act on, with a previous period of
    the same length to compare with when the data is long enough."""
    if last_day is None:
        return None, None
    start = days_before(last_day, days - 1)
    return (max(start, first_day) if first_day else start), last_day


def days_before(day: date, days: int) -> date:
    """`day` minus `days` days, or the first day Python knows (year 1) if that is earlier."""
    return date.fromordinal(max(day.toordinal() - days, date.min.toordinal()))


def _as_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_tuple(value) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


# The URL keys of the global filters, by Filters field.
URL_KEYS = {"channels": "channel", "regions": "region", "locations": "location"}
DATE_KEYS = ("start", "end")
# What a URL may carry: short keys and values, not too many (the rest is ignored).
URL_KEY = re.compile(r"[a-z][a-z_]{0,31}")
MAX_URL_VALUE = 200
MAX_URL_PARAMS = 40


def url_date(value: str) -> date | None:
    """The ISO date a URL value names; None when it names none."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


GLOBAL_KEYS = frozenset({*DATE_KEYS, *URL_KEYS.values()})


def _url_pairs(search: str | None) -> list[tuple[str, str]]:
    """The (key, value) pairs of a query string a view reads: short lower-case keys, short
    values, at most MAX_URL_PARAMS of them."""
    pairs = parse_qsl((search or "").lstrip("?"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if URL_KEY.fullmatch(k) and len(v) <= MAX_URL_VALUE]
    return kept[:MAX_URL_PARAMS]


def global_search(search: str | None, page_params: tuple[tuple[str, str], ...] = ()) -> str:
    """A URL query string with only its global filters, as written (plus `page_params`);
    empty when there are none."""
    pairs = [(k, v) for k, v in _url_pairs(search) if k in GLOBAL_KEYS] + list(page_params)
    return "?" + urlencode(pairs) if pairs else ""


@dataclass(frozen=True)
class Filters:
    """What the planner selected in the filter bar; empty means "all"."""

    start: date | None = None
    end: date | None = None
    channels: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    # The URL's other parameters, which a page reads itself (e.g. the case set of /cases).
    page_params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_url(
        cls, search: str | None, default_start: date | None = None, default_end: date | None = None
    ) -> Filters:
        """The view a URL query string describes (see the module). An absent or unreadable
        date is the default's, an empty one open-ended; unknown keys, long values and the
        parameters past MAX_URL_PARAMS are dropped."""
        pairs = _url_pairs(search)
        given = dict(pairs)  # a repeated date key: the last one counts
        dates = {}
        for key, default in zip(DATE_KEYS, (default_start, default_end), strict=True):
            value = given.get(key)
            dates[key] = None if value == "" else (value and url_date(value)) or default
        values = {
            name: tuple(dict.fromkeys(v for k, v in pairs if k == key and v))
            for name, key in URL_KEYS.items()
        }
        extra = tuple((k, v) for k, v in pairs if k not in GLOBAL_KEYS)
        return cls(**dates, **values, page_params=extra)

    def to_url(self, **page_params: str | None) -> str:
        """The query string (with its "?") of these filters and the given page parameters
        (None leaves one out); dates are always written, empty when open-ended."""
        dates = zip(DATE_KEYS, (self.start, self.end), strict=True)
        pairs = [(key, value.isoformat() if value else "") for key, value in dates]
        pairs += [(key, value) for name, key in URL_KEYS.items() for value in getattr(self, name)]
        pairs += [(key, value) for key, value in page_params.items() if value is not None]
        return "?" + urlencode(pairs)

    def param(self, key: str) -> str | None:
        """A page parameter of the URL (the last one when repeated)."""
        values = [value for name, value in self.page_params if name == key]
        return values[-1] if values else None

    @classmethod
    def from_store(cls, data: dict | None) -> Filters:
        data = data or {}
        return cls(
            start=_as_date(data.get("start")),
            end=_as_date(data.get("end")),
            channels=_as_tuple(data.get("channels")),
            regions=_as_tuple(data.get("regions")),
            locations=_as_tuple(data.get("locations")),
        )

    def to_store(self) -> dict:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "channels": list(self.channels),
            "regions": list(self.regions),
            "locations": list(self.locations),
        }

    @property
    def filters_locations(self) -> bool:
        return bool(self.regions or self.locations)

    def previous_period(self) -> Filters | None:
        """The equally long period just before this one (for "change vs previous")."""
        if self.start is None or self.end is None or self.start == date.min:
            return None
        length = (self.end - self.start).days + 1
        return replace(self, start=days_before(self.start, length), end=days_before(self.start, 1))


@dataclass
class Conditions:
    """SQL predicates (trusted text) plus their bound parameters, in order."""

    clauses: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)

    def add(self, clause: str, *params) -> Conditions:
        self.clauses.append(clause)
        self.params.extend(params)
        return self

    def where(self, keyword: str = "where") -> str:
        return f"{keyword} " + " and ".join(self.clauses) if self.clauses else ""


def location_predicate(column: str, filters: Filters) -> Conditions:
    """`column` is one of the selected locations and in one of the selected regions."""
    conditions = Conditions()
    if filters.locations:
        conditions.add(f"list_contains(?::varchar[], {column})", list(filters.locations))
    if filters.regions:
        conditions.add(
            f"{column} in (select location_id from dim_locations "
            "where list_contains(?::varchar[], region))",
            list(filters.regions),
        )
    return conditions


def filter_conditions(
    filters: Filters,
    *,
    date_column: str | None = None,
    channel_column: str | None = None,
    location_columns: tuple[str, ...] = (),
) -> Conditions:
    """Predicates for the filters that apply to a table with these columns.

    Several location columns (a transfer's origin and destination) match when any does.
    """
    conditions = Conditions()
    if date_column and filters.start:
        conditions.add(f"{date_column} >= ?", filters.start)
    if date_column and filters.end:
        conditions.add(f"{date_column} <= ?", filters.end)
    if channel_column and filters.channels:
        conditions.add(
            f"list_contains(?::varchar[], coalesce({channel_column}, '{UNKNOWN}'))",
            list(filters.channels),
        )
    if location_columns and filters.filters_locations:
        alternatives = [location_predicate(column, filters) for column in location_columns]
        clause = " or ".join("(" + " and ".join(a.clauses) + ")" for a in alternatives)
        conditions.add(f"({clause})", *[p for a in alternatives for p in a.params])
    return conditions
