"""The cases behind the state and flow figures: the cycle counts behind inventory record
accuracy, the stocked-out positions behind the stockout rate, the failed API calls behind the
failure rate, the SKUs each cycle-count request asks to count, and the cases that took one
step of a process map."""

from __future__ import annotations

from dashboards.data import at_locations, where
from dashboards.filters import Filters, filter_conditions
from omnistock.tables import CYCLE_COUNT_REQUEST_LINES, CYCLE_COUNT_REQUESTS

from .caseset import CaseSet, shown

NO_TIMELINE = "; {} is no workflow case: no timeline"


def _located(day: str):
    """The where clause of the rows of the filters' days (`day`) at the selected locations."""

    def clause(filters: Filters) -> tuple[str, list]:
        located = filter_conditions(filters, date_column=day, location_columns=("location_id",))
        return where(located)

    return clause


_COUNTS = CaseSet(
    "cycle-counts",
    "Cycle counts, inaccurate first",
    "inventory record accuracy: every completed cycle count, by day of the count, those whose "
    "count differed from the book first, largest variance at cost first (the KPI is the share "
    "that matched)" + NO_TIMELINE.format("a count"),
    page="cycle-counts",
    table="fct_cycle_counts",
    computed={"accurate": "case when is_accurate then 'yes' when not is_accurate then 'no' end"},
    where=_located("count_date"),
    order="accurate nulls first, abs(variance_value_at_cost) desc nulls last, counted_at desc, "
    "count_id",
    columns=shown(
        "count_id=count; location_id=location; sku=SKU; category; counted_at=counted; "
        "system_quantity=book; counted_quantity=counted units; variance_quantity=variance; "
        "variance_value_at_cost=variance at cost; accurate=matched the book"
    ),
    facets={"sku": "sku", "category": "category"},
    kpi_days=True,
)

_STOCKOUTS = CaseSet(
    "stockouts",
    "Stocked-out positions",
    "the stockout rate's stocked-out days: SKU-locations whose end-of-day book (set by a stock "
    "snapshot) was zero or below, the latest day first" + NO_TIMELINE.format("a position"),
    page="risk",
    table="stockout_positions",
    where=_located("position_date"),
    order="position_date desc, closing_quantity, location_id, sku",
    columns=shown(
        "location_id=location; sku=SKU; position_date=day; closing_quantity=book at day end; "
        "last_sale_date=last sale; closing_value_at_cost=book value at cost"
    ),
    kpi_days=True,
)

_FAILED_CALLS = CaseSet(
    "failed-api-calls",
    "Failed API calls",
    "the API failure rate's failed calls, by day of the call, in call order (consecutive "
    "failures share a failure run)" + NO_TIMELINE.format("a call"),
    page="integrations",
    table="failed_api_calls",
    where=lambda filters: where(filter_conditions(filters, date_column="call_date")),
    order="occurred_at, event_id",
    columns=shown(
        "integration; occurred_at=failed at; status_code=status; latency_ms=latency (ms); "
        "attempt; failure_run=failure run; event_id=call"
    ),
    facets={"integration": "integration"},
    kpi_days=True,
)

_REQUESTED_SKUS = CaseSet(
    "count-request-lines",
    "SKUs of the cycle-count requests",
    "the cycle-count queue: the SKUs each request asks to count, in priority order, with the "
    "discrepancy the risk model expects (a request's value at stake is their sum); the dates "
    "do not apply" + NO_TIMELINE.format("a count request"),
    page="cycle-counts",
    table=CYCLE_COUNT_REQUEST_LINES.name,
    select="""
        select null as case_workflow, null as case_key, null as case_event, line.request_id,
            requests.status, requests.requested_at, line.priority, line.location_id, line.sku,
            line.category, line.book_quantity, line.inaccuracy_probability,
            line.expected_discrepancy_value, line.reason
        from cycle_count_request_lines as line
        inner join cycle_count_requests as requests using (request_id) {where}
    """,
    where=lambda filters: at_locations(filters, column="line.location_id"),
    order="requested_at desc, request_id, priority, sku",
    columns=shown(
        "request_id=request; status; priority; location_id=location; sku=SKU; category; "
        "book_quantity=book; inaccuracy_probability=chance it is off; "
        "expected_discrepancy_value=expected discrepancy; reason=why"
    ),
    facets={"request": "request_id", "status": "status"},
    needs=(CYCLE_COUNT_REQUESTS.name,),
)

_STEPS = CaseSet(
    "transitions",
    "Cases by one step of the process map, slowest first",
    "a process map's transitions: the cases in which one activity directly followed another, "
    "with the time between them, over the whole history (as the map; the global filters do "
    "not apply)",
    page="process",
    table="case_events",
    select="""
        select step.workflow as case_workflow, step.case_key, null as case_event,
            step.workflow, before.event_type as from_activity, step.event_type as to_activity,
            before.occurred_at as left_at, step.occurred_at as arrived_at,
            step.wait_since_previous_s as took_s, step.location_id, step.case_stage
        from case_events as step
        inner join case_events as before
            on before.workflow = step.workflow and before.case_key = step.case_key
            and before.event_index = step.event_index - 1
    """,
    # what a step of a map narrows the list to (pages/process links each step)
    facets={"workflow": "workflow", "from": "from_activity", "to": "to_activity"},
    order="took_s desc, case_key, arrived_at",
    columns=shown(
        "case_key=case; from_activity=from; to_activity=to; left_at=left at; "
        "arrived_at=arrived at; took_s=took (s); location_id=location; "
        "case_stage=stage at the horizon"
    ),
)

STATE_SETS: tuple[CaseSet, ...] = (_COUNTS, _STOCKOUTS, _FAILED_CALLS, _REQUESTED_SKUS, _STEPS)
