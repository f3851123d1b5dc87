"""How Omnistock's event store maps onto OCEL 2.0 objects and qualifiers (docs/ocel.md).

The mapping is data: export.py loads these tables into DuckDB and joins against them, so the
SQL stays set-based and the table in docs/ocel.md can be read off this file.

`EVENT_CATALOG` mirrors the workflow and tie-break rank of dbt's `event_catalog()` macro
(dbt_project/macros/event_catalog.sql); tests/test_ocel.py checks that the two agree on a
real warehouse, and that flattening the export on each workflow's case object gives dbt's
`process_transitions`.
"""

from __future__ import annotations

from dataclasses import dataclass

# event_type -> (workflow, rank in the workflow's normal order: the tie-breaker for equal times)
EVENT_CATALOG: dict[str, tuple[str, int]] = {
    "order_placed": ("order", 10),
    "reservation_requested": ("order", 20),
    "reservation_failed": ("order", 30),
    "reservation_confirmed": ("order", 30),
    "order_fulfilled": ("order", 40),
    "order_cancelled": ("order", 50),
    "sale": ("sale", 10),
    "transfer_requested": ("transfer", 10),
    "transfer_approved": ("transfer", 20),
    "transfer_shipped": ("transfer", 30),
    "transfer_received": ("transfer", 40),
    "return_initiated": ("return", 10),
    "return_received": ("return", 20),
    "return_inspected": ("return", 30),
    "return_restocked": ("return", 40),
    "refund_issued": ("return", 50),
    "po_created": ("replenishment", 10),
    "po_acknowledged": ("replenishment", 20),
    "po_received": ("replenishment", 30),
    "stock_snapshot": ("stock", 10),
    "inventory_adjusted": ("stock", 20),
    "cycle_count_completed": ("stock", 30),
    "erp_posted": ("finance", 10),
    "api_call": ("integration", 10),
}


@dataclass(frozen=True)
class CaseWorkflow:
    """A workflow with cases (SPEC 5.1): its header object (keyed by case_id) and, when its
    cases are lines, the line object (keyed by case_id|sku). The case object is what
    process_transitions calls a case."""

    header_type: str
    line_type: str | None

    @property
    def case_type(self) -> str:
        return self.line_type or self.header_type


CASE_WORKFLOWS: dict[str, CaseWorkflow] = {
    "order": CaseWorkflow("order", "order_line"),
    "transfer": CaseWorkflow("transfer", "transfer_line"),
    "return": CaseWorkflow("return", "return_line"),
    "replenishment": CaseWorkflow("purchase_order", None),
}

# Reservation events also concern one reservation: the order line at one location.
RESERVATION_EVENTS = ("reservation_requested", "reservation_confirmed", "reservation_failed")

# The qualifier of location_id; every other event type says "location". to_location_id is "to".
LOCATION_QUALIFIERS: dict[str, str] = {
    "transfer_requested": "from",
    "transfer_approved": "from",
    "transfer_shipped": "from",
    "transfer_received": "to",
}

# Object-to-object relations, read off events that relate both objects:
# (source type, target type, the target's event qualifier or None for any, O2O qualifier).
OBJECT_RELATIONS: tuple[tuple[str, str, str | None, str], ...] = (
    ("order", "order_line", None, "contains"),
    ("transfer", "transfer_line", None, "contains"),
    ("return", "return_line", None, "contains"),
    ("order_line", "sku", None, "sku"),
    ("transfer_line", "sku", None, "sku"),
    ("return_line", "sku", None, "sku"),
    ("reservation", "order_line", None, "line"),
    ("reservation", "location", None, "location"),
    ("transfer", "location", "from", "from"),
    ("transfer", "location", "to", "to"),
    ("return", "location", None, "location"),
    ("purchase_order", "sku", None, "sku"),
    ("purchase_order", "location", None, "location"),
)

# Canonical fields kept as event attributes, with their OCEL type. Fields that name an object
# (location_id, to_location_id, sku) are relations instead; the JSON `attributes` keys are
# added beside these (a key that collides with one of them is kept as "attributes.<key>").
EVENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("case_id", "string"),
    ("source_system", "string"),
    ("emitted_at", "time"),
    ("schema_version", "string"),
    ("quantity", "integer"),
    ("channel", "string"),
    ("reason_code", "string"),
)


def case_types() -> dict[str, str]:
    """workflow -> the object type that is its case (flatten the export on it)."""
    return {name: workflow.case_type for name, workflow in CASE_WORKFLOWS.items()}
