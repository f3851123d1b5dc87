"""The cases behind the duration figures: the reservations, transfer lines, returns and stock
moves each percentile KPI measures (slowest first, each banded against the KPI's p50 and p95
over the filters), the stock moves posted late, the disruptions and the feeds' daily lag.

Each set reads the rows its KPI is computed from, cut by the same columns (a location filter
picks a reservation's reserving location, a transfer's origin, a return's receiving
location), on complete days only: so while the KPI answers the filters, the list holds
exactly the cases behind its value. A filter the KPI is not reported by still narrows the
list (by the table's column), and the band is left empty: the KPI says why it has no value."""

from __future__ import annotations

from dashboards.data import where
from dashboards.drills import KPI_EXPLAINED_BY
from dashboards.filters import Filters, filter_conditions
from dashboards.pages.orders.figures import LATENCY_BUCKETS

from .caseset import BAND, CaseSet, line_case, shown
from .work_sets import LANE

# The band's column, last in a list of the cases a percentile KPI measures.
BANDED = {BAND: "vs the period's p50 / p95"}
_FROM_KPI = "; each says whether it is above the period's p95 or p50 (the KPI's values)"


def _bucket_sql(column: str) -> str:
    """The latency histogram's bucket of `column` (orders.figures.LATENCY_BUCKETS)."""
    *bounded, (_, last) = LATENCY_BUCKETS

    def text(label: str) -> str:
        return "'" + label.replace("'", "''") + "'"

    cases = " ".join(f"when {column} <= {upper:g} then {text(label)}" for upper, label in bounded)
    return f"case {cases} else {text(last)} end"


def _dated(
    filters: Filters, day: str, *fixed: str, channel: str | None = None, location: str | None = None
) -> tuple[str, list]:
    """The where clause of the rows of the filters' days (`day`), channels and locations
    (each on the column given; None: the table has none) meeting `fixed`."""
    conditions = filter_conditions(
        filters,
        date_column=day,
        channel_column=channel,
        location_columns=(location,) if location else (),
    )
    return where(conditions, *fixed)


# The stock moves int_erp_reconciliation judges: an event's timeline is its case's, where it
# belongs to one (a POS sale belongs to none).
_STOCK_MOVES = """
    select null as case_workflow, null as case_key,
        case when event_id in (select event_id from case_events) then event_id end
            as case_event,
        event_id, event_type, source_system, location_id, sku, stock_delta, occurred_at,
        posted_at, reconciliation_time_h, age_h
    from int_erp_reconciliation {where}
"""
_MOVE_COLUMNS = shown(
    "event_id=stock move; event_type=type; source_system=source; location_id=location; "
    "sku=SKU; occurred_at=moved; posted_at=posted"
)


def _stock_move_set(slug: str, title: str, explains: str, rule: str, **settings) -> CaseSet:
    return CaseSet(
        slug,
        title,
        explains,
        page="reconciliation",
        table="int_erp_reconciliation",
        select=_STOCK_MOVES,
        where=lambda filters: _dated(filters, "occurred_date", rule, location="location_id"),
        facets={"event_type": "event_type", "source": "source_system"},
        needs=("case_events",),
        kpi_days=True,
        **settings,
    )


def _timed_set(kpi: str, measure: str, columns: str, **settings) -> CaseSet:
    """The cases a duration KPI measures (its p50 and p95: `<kpi>_p50_<unit>`, ...), the
    slowest first, each banded against the two, explained by the KPIs' page; `columns` as
    `shown` reads them."""
    unit = measure.rsplit("_", 1)[-1]
    page, _ = KPI_EXPLAINED_BY[f"{kpi}_p95_{unit}"]
    return CaseSet(
        page=page,
        order=f"{measure} desc, case_key",
        columns=shown(columns) | BANDED,
        percentiles=(f"{kpi}_p50_{unit}", f"{kpi}_p95_{unit}"),
        measure=measure,
        kpi_days=True,
        **settings,
    )


DURATION_SETS: tuple[CaseSet, ...] = (
    _timed_set(
        "reservation_latency",
        "latency_s",
        "case_key=order line; location_id=reserved at; channel; first_requested_at=requested; "
        "latency_s=latency (s); latency_bucket=bucket",
        slug="slow-reservations",
        title="Reservations by latency, slowest first",
        explains="reservation latency: every confirmed reservation (order line and reserving "
        "location), first request to first confirmation, by day of the first request" + _FROM_KPI,
        table="fct_reservations",
        case=line_case("order", "order_id"),
        computed={
            "channel": "coalesce(channel, 'unknown')",
            "latency_bucket": _bucket_sql("latency_s"),
        },
        where=lambda filters: _dated(
            filters,
            "reservation_date",
            "latency_s is not null",
            channel="channel",
            location="location_id",
        ),
        facets={"bucket": "latency_bucket", "sku": "sku"},
    ),
    _timed_set(
        "transfer_cycle_time",
        "cycle_time_h",
        "case_key=transfer line; lane; shipped_at=shipped; received_at=received; "
        "received_quantity=received units; cycle_time_h=cycle time (h)",
        computed={"lane": LANE},  # as the transfers page labels a lane
        case=line_case("transfer", "transfer_id"),
        table="fct_transfers",
        slug="transfer-cycle-times",
        title="Transfer lines by cycle time, slowest first",
        explains="transfer cycle time: every line shipped and received, shipment to receipt, "
        "by day of shipment (a location filter picks the shipping location)" + _FROM_KPI,
        where=lambda filters: _dated(
            filters,
            "shipment_date",
            "shipped_at is not null",
            "received_at is not null",
            "cycle_time_h is not null",
            location="origin_location_id",
        ),
        facets={"lane": "lane", "sku": "sku"},
    ),
    _timed_set(
        "returns_disposition_time",
        "disposition_time_h",
        "case_key=return line; location_id=received at; received_at=received; "
        "inspected_at=inspected; disposition; disposition_time_h=disposition time (h); "
        "return_status=status",
        slug="return-dispositions",
        title="Returns by disposition time, slowest first",
        explains="return disposition time: every inspected return line, receipt to "
        "inspection, by day of receipt (a location filter picks the receiving location)"
        + _FROM_KPI,
        table="fct_returns",
        case=line_case("return", "return_id"),
        where=lambda filters: _dated(
            filters,
            "receipt_date",
            "disposition_time_h is not null",
            channel="channel",
            location="location_id",
        ),
        facets={"sku": "sku"},
    ),
    _stock_move_set(
        "posting-lags",
        "Stock moves by ERP posting lag, slowest first",
        "ERP posting lag: every stock move posted to the ERP, the move to its first "
        "erp_posted, by day of the move" + _FROM_KPI,
        "reconciliation_time_h is not null",
        order="reconciliation_time_h desc, occurred_at, event_id",
        columns=_MOVE_COLUMNS | shown("reconciliation_time_h=posting lag (h)") | BANDED,
        percentiles=("reconciliation_time_p50_h", "reconciliation_time_p95_h"),
        measure="reconciliation_time_h",
    ),
    _stock_move_set(
        "late-postings",
        "Stock moves posted late",
        "stock moves posted late: moves at least 24 h old at the data horizon that were not "
        "posted within 24 h (posted later, or not at all), by day of the move, the latest "
        "first (a move still unposted by its age at the horizon)",
        "is_unreconciled",
        order="coalesce(reconciliation_time_h, age_h) desc, occurred_at, event_id",
        columns=_MOVE_COLUMNS
        | shown("reconciliation_time_h=posted after (h); age_h=age at the horizon (h)"),
    ),
    CaseSet(
        "disruptions",
        "Integration disruptions, longest first",
        "integration disruptions: runs of 5 or more consecutive failed calls of one "
        "integration, by day of the first failure, those still failing first, then by "
        "recovery time (the recovery KPI is a mean over the recovered ones, no percentile); "
        "a disruption is no workflow case: no timeline",
        page="integrations",
        table="fct_integration_disruptions",
        where=lambda filters: _dated(filters, "disruption_date"),
        order="recovered_at is not null, recovery_time_min desc, started_at, disruption_id",
        columns=shown(
            "disruption_id=disruption; integration; started_at=first failure; "
            "last_failed_at=last failure; failed_calls=failed calls; recovered_at=recovered; "
            "recovery_time_min=recovery (min)"
        ),
        facets={"integration": "integration"},
        kpi_days=True,
    ),
    CaseSet(
        "source-lags",
        "Feed delivery lag by source and day, slowest first",
        "feed delivery lag: each source system's p95 minutes from an event's occurrence to "
        "its publication, per day (the KPI's daily values; the events themselves are too "
        "many to list); a feed is no workflow case: no timeline",
        page="integrations",
        table="kpi_daily",
        computed={
            "source_system": "dimension_value",
            "lag_p95_min": "value",
            "events": "denominator",
        },
        where=lambda filters: _dated(
            filters,
            "kpi_date",
            "kpi_name = 'source_delivery_lag_p95_min'",
            "dimension = 'source_system'",
            "is_complete",
        ),
        order="lag_p95_min desc nulls last, kpi_date, source_system",
        columns=shown("source_system=source; kpi_date=day; lag_p95_min=p95 lag (min); events"),
        facets={"source": "source_system"},
    ),
)
