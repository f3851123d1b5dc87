"""What the dashboards know about a KPI: nothing of their own. Names, labels, units,
directions, the headline flag, how a KPI aggregates and which dimension answers which
filter come from the dbt project's catalog (`kpi_catalog` in the snapshot); the one
aggregation over a window and the filters is `queries.kpi_values`. Here: the catalog row as
a record, which rows answer the filters, and how a value reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .filters import Filters


@dataclass(frozen=True)
class Kpi:
    """One row of kpi_catalog (dbt_project/seeds/kpi_catalog.csv)."""

    name: str
    label: str
    unit: str  # ratio (0-1), s, h, min or count
    aggregation: str  # ratio, mean, count, level or percentile
    higher_is_better: bool
    is_headline: bool = False
    percentile: float | None = None
    observation_family: str | None = None  # kpi_observations.kpi_family of a percentile
    channel_dimension: str | None = None  # the dimension that answers a channel filter
    location_dimension: str | None = None  # ... a location or region filter

    @classmethod
    def from_catalog(cls, row: Mapping) -> Kpi:
        return cls(
            name=row["kpi_name"],
            label=row["label"],
            unit=row["unit"],
            aggregation=row["aggregation"],
            higher_is_better=bool(row["higher_is_better"]),
            is_headline=bool(row["is_headline"]),
            percentile=row.get("percentile"),
            observation_family=row.get("observation_family"),
            channel_dimension=row.get("channel_dimension"),
            location_dimension=row.get("location_dimension"),
        )


# How a cut reads under a tile ("selected locations").
DIMENSION_WORDS = {
    "channel": "channels",
    "location_id": "locations",
    "origin": "shipping locations",
}


@dataclass(frozen=True)
class KpiCut:
    """Which rows answer the filters for one KPI: (dimension, selected values) pairs, or
    why the filters cannot be answered."""

    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unavailable: str | None = None  # e.g. "not available by region"

    @property
    def available(self) -> bool:
        return self.unavailable is None

    @property
    def note(self) -> str:
        """What the tile and its chart say about the filters ("" when nothing is filtered)."""
        if self.unavailable:
            return self.unavailable
        if not self.dimensions:
            return ""
        return "selected " + " and ".join(DIMENSION_WORDS[d] for d, _ in self.dimensions)


def _location_word(filters: Filters) -> str:
    return "region" if filters.regions and not filters.locations else "location"


def choose_cut(
    kpi: Kpi,
    filters: Filters,
    locations: tuple[str, ...] | None,
    by: Sequence[str] = (),
) -> KpiCut:
    """The rows of `kpi` that answer the filters, also broken down by the dimensions in `by`
    (kpi_date aside).

    `locations` is the resolved location set (selected locations within selected regions),
    None without a location filter. A filter the KPI is not reported by makes it
    unavailable rather than silently ignored. kpi_daily holds one dimension per row, so a
    ratio or count answers at most one dimension at a time; a percentile is recomputed from
    its observations, which carry all of its dimensions at once.
    """
    cuts: list[tuple[str, tuple[str, ...]]] = []
    missing: list[str] = []
    if locations is not None:
        if kpi.location_dimension:
            cuts.append((kpi.location_dimension, tuple(locations)))
        else:
            missing.append(_location_word(filters))
    if filters.channels:
        if kpi.channel_dimension:
            cuts.append((kpi.channel_dimension, tuple(filters.channels)))
        else:
            missing.append("channel")
    if missing:
        return KpiCut(unavailable="not available by " + " or ".join(missing))
    breakdown = [key for key in by if key != "kpi_date"]
    dimensions = list(dict.fromkeys([d for d, _ in cuts] + breakdown))
    if kpi.aggregation != "percentile" and len(dimensions) > 1:
        words = [
            _location_word(filters) if d == kpi.location_dimension else d.replace("_", " ")
            for d in dimensions
        ]
        return KpiCut(unavailable=f"not available by {' and '.join(words)} together")
    return KpiCut(tuple(cuts))


def format_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "–"
    if kpi.unit == "ratio":
        return f"{value:.1%}"
    if kpi.unit == "count":
        return f"{value:,.0f}"
    if kpi.unit == "s" and value >= 90:  # 1,106 s reads better as 18 min
        return f"{value / 60:,.0f} min" if value < 5400 else f"{value / 3600:,.1f} h"
    return f"{value:,.1f} {kpi.unit}"


def format_change(kpi: Kpi, current: float | None, previous: float | None) -> tuple[str, str]:
    """(text, tone) of the change vs the previous period; tone is good, bad or neutral.

    Rates change in percentage points, everything else in percent of the previous value (or
    in units when the previous value was zero). A change that rounds to zero is no change.
    """
    if current is None or previous is None:
        return "no previous period", "neutral"
    delta = current - previous
    if kpi.unit == "ratio":
        text = f"{delta * 100:+.1f} pp"
    elif previous == 0:
        text = f"{delta:+,.0f}" if kpi.unit == "count" else f"{delta:+,.1f} {kpi.unit}"
    else:
        text = f"{delta / abs(previous):+.0%}"
    if text.lstrip("+-").split(" ")[0].strip("0.%,") == "":
        return "no change", "neutral"
    improved = (delta > 0) == kpi.higher_is_better
    return f"{text} vs previous", "good" if improved else "bad"
