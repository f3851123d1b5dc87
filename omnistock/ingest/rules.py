"""The canonical event contract of SPEC 4 / 4.1 as data, so validation SQL can join against it."""

from __future__ import annotations

from dataclasses import dataclass

# The canonical (version 1) event, in the order of SPEC 4: each field with the type it is
# stored as, and its role in validation: `envelope` fields are always required, checked in
# this order (architecture: validation order, step 2); `typed` fields are required by some
# event types (step 7); `attributes` is the JSON object. Every other list of the fields is
# derived from this one (the raw table, the judged records, the content hash).
CANONICAL_EVENT: tuple[tuple[str, str, str], ...] = (
    ("event_id", "VARCHAR", "envelope"),
    ("schema_version", "VARCHAR", "envelope"),
    ("event_type", "VARCHAR", "envelope"),
    ("source_system", "VARCHAR", "envelope"),
    ("occurred_at", "TIMESTAMP", "envelope"),
    ("emitted_at", "TIMESTAMP", "envelope"),
    ("case_id", "VARCHAR", "envelope"),
    ("location_id", "VARCHAR", "typed"),
    ("to_location_id", "VARCHAR", "typed"),
    ("sku", "VARCHAR", "typed"),
    ("quantity", "BIGINT", "typed"),
    ("channel", "VARCHAR", "typed"),
    ("reason_code", "VARCHAR", "typed"),
    ("attributes", "VARCHAR", "attributes"),
)
CANONICAL_FIELDS = tuple(name for name, _type, _role in CANONICAL_EVENT)
STORED_TYPES = {name: stored_type for name, stored_type, _role in CANONICAL_EVENT}
ENVELOPE_FIELDS = tuple(name for name, _type, role in CANONICAL_EVENT if role == "envelope")
TYPED_FIELDS = tuple(name for name, _type, role in CANONICAL_EVENT if role == "typed")

SUPPORTED_SCHEMA_VERSIONS = ("1", "2")
CHANNELS = ("store", "web", "marketplace", "bopis", "ship_from_store")
EVENT_ID_PATTERN = "[A-Za-z0-9_.:-]{1,64}"
EMIT_TOLERANCE_MINUTES = 5


@dataclass(frozen=True)
class EventRule:
    """What SPEC 4.1 requires of one event type."""

    required: tuple[str, ...] = ()
    reason_codes: tuple[str, ...] = ()  # empty: any value is accepted
    attribute_keys: tuple[str, ...] = ()
    quantity_rule: str = "positive"  # positive | nonzero | non_negative


_LINE = ("location_id", "sku", "quantity")

EVENT_RULES: dict[str, EventRule] = {
    "order_placed": EventRule(("sku", "quantity", "channel")),
    "reservation_requested": EventRule(_LINE),
    "reservation_confirmed": EventRule(_LINE),
    "reservation_failed": EventRule(
        (*_LINE, "reason_code"), ("insufficient_stock", "timeout", "api_error")
    ),
    "order_fulfilled": EventRule(_LINE),
    "order_cancelled": EventRule(
        ("sku", "quantity", "reason_code"),
        ("out_of_stock", "customer_request", "payment_failed", "fraud"),
    ),
    "sale": EventRule((*_LINE, "channel")),
    "transfer_requested": EventRule(("location_id", "to_location_id", "sku", "quantity")),
    "transfer_approved": EventRule(),
    "transfer_shipped": EventRule(_LINE),
    "transfer_received": EventRule(_LINE),
    "return_initiated": EventRule(("sku", "quantity", "channel")),
    "return_received": EventRule(_LINE),
    "return_inspected": EventRule(
        (*_LINE, "reason_code"), ("restock", "refurbish", "vendor_return", "scrap")
    ),
    "return_restocked": EventRule(_LINE),
    "refund_issued": EventRule(),
    "po_created": EventRule(_LINE, attribute_keys=("expected_at",)),
    "po_acknowledged": EventRule(attribute_keys=("expected_at",)),
    "po_received": EventRule(_LINE),
    "stock_snapshot": EventRule(_LINE, quantity_rule="non_negative"),
    "inventory_adjusted": EventRule(
        (*_LINE, "reason_code"),
        ("shrink", "damage", "found", "correction"),
        quantity_rule="nonzero",
    ),
    "cycle_count_completed": EventRule(
        _LINE, attribute_keys=("system_quantity",), quantity_rule="non_negative"
    ),
    "erp_posted": EventRule(attribute_keys=("posted_event_id",)),
    "api_call": EventRule(attribute_keys=("integration", "status_code", "latency_ms", "attempt")),
}

QUARANTINE_REASONS = (
    "malformed_record",
    *(f"missing_field:{name}" for name in ENVELOPE_FIELDS),
    "unsupported_schema_version",
    "invalid_value:event_id",
    "unknown_event_type",
    "invalid_value:source_system",
    *(f"missing_field:{name}" for name in TYPED_FIELDS),
    *sorted(
        {
            f"missing_field:attributes.{k}"
            for rule in EVENT_RULES.values()
            for k in rule.attribute_keys
        }
    ),
    "invalid_timestamp",
    "invalid_quantity",
    "invalid_value:channel",
    "invalid_value:reason_code",
    "emitted_before_occurred",
    "unknown_location",
    "unknown_sku",
    "duplicate_conflict",
)


__all__ = [
    "CANONICAL_EVENT",
    "CANONICAL_FIELDS",
    "CHANNELS",
    "EMIT_TOLERANCE_MINUTES",
    "ENVELOPE_FIELDS",
    "EVENT_ID_PATTERN",
    "EVENT_RULES",
    "QUARANTINE_REASONS",
    "STORED_TYPES",
    "SUPPORTED_SCHEMA_VERSIONS",
    "TYPED_FIELDS",
    "EventRule",
]
