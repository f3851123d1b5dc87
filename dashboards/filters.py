"""The global filters (date range, channel, region, location) and how they reach SQL.

Filter values only ever travel as bound parameters: `Conditions` collects SQL fragments
written in this package (column names are code constants) and the values separately, and
the query helper passes them to `con.execute(sql, params)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

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


@dataclass(frozen=True)
class Filters:
    """What the planner selected in the filter bar; empty means "all"."""

    start: date | None = None
    end: date | None = None
    channels: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()

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
