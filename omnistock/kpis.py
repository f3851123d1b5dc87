"""The headline KPIs as dbt aggregated them (marts.kpi_catalog + marts.kpi_period).

A reader, not a second definition: the summary, the pipeline's Dagster metadata and the report
show these values as they are. The dashboards read the same tables from their snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb


@dataclass(frozen=True)
class HeadlineKpi:
    """A headline KPI over the current standard period (marts.kpi_period)."""

    name: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    period_start: date
    period_end: date


def headline_kpis(con: duckdb.DuckDBPyConnection) -> list[HeadlineKpi]:
    """The catalog's headline KPIs over the current period of kpi_period (the last complete
    days up to the data horizon) and the period before, as dbt aggregated them."""
    rows = con.execute(
        """
        select catalog.kpi_name, catalog.label, catalog.unit, current_period.value,
            previous_period.value, current_period.period_start, current_period.period_end
        from marts.kpi_catalog as catalog
        inner join marts.kpi_period as current_period
            on current_period.kpi_name = catalog.kpi_name
            and current_period.period = 'current'
            and current_period.dimension = 'all'
        left join marts.kpi_period as previous_period
            on previous_period.kpi_name = catalog.kpi_name
            and previous_period.period = 'previous'
            and previous_period.dimension = 'all'
        where catalog.is_headline
        order by catalog.display_order
        """
    ).fetchall()
    return [HeadlineKpi(*row) for row in rows]


def format_quantity(unit: str, value: float | None) -> str:
    if value is None:
        return "–"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f} {unit}"
