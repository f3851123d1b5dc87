"""The canonical event vocabulary of SPEC 4 as the simulator needs it."""

from __future__ import annotations

SOURCE_SYSTEMS = (
    "pos",
    "ecommerce",
    "marketplace",
    "oms",
    "wms",
    "erp",
    "supplier_portal",
    "customer_service",
    "integration_gateway",
)

# Which file format each source system publishes (all three formats of SPEC 4 are used).
SOURCE_FORMATS = {
    "pos": "csv",
    "customer_service": "csv",
    "erp": "parquet",
    "integration_gateway": "parquet",
    "ecommerce": "jsonl",
    "marketplace": "jsonl",
    "oms": "jsonl",
    "wms": "jsonl",
    "supplier_portal": "jsonl",
}

# Sources that stamp local time with an offset instead of `Z` (minutes east of UTC).
SOURCE_UTC_OFFSET_MINUTES = {"customer_service": 60, "supplier_portal": 120}

CHANNELS = ("store", "web", "marketplace", "bopis", "ship_from_store")

# event_type -> fields SPEC 4.1 requires beyond the envelope, in validation order.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "order_placed": ("sku", "quantity", "channel"),
    "reservation_requested": ("location_id", "sku", "quantity"),
    "reservation_confirmed": ("location_id", "sku", "quantity"),
    "reservation_failed": ("location_id", "sku", "quantity", "reason_code"),
    "order_fulfilled": ("location_id", "sku", "quantity"),
    "order_cancelled": ("sku", "quantity", "reason_code"),
    "sale": ("location_id", "sku", "quantity", "channel"),
    "transfer_requested": ("location_id", "to_location_id", "sku", "quantity"),
    "transfer_approved": (),
    "transfer_shipped": ("location_id", "sku", "quantity"),
    "transfer_received": ("location_id", "sku", "quantity"),
    "return_initiated": ("sku", "quantity", "channel"),
    "return_received": ("location_id", "sku", "quantity"),
    "return_inspected": ("location_id", "sku", "quantity", "reason_code"),
    "return_restocked": ("location_id", "sku", "quantity"),
    "refund_issued": (),
    "po_created": ("location_id", "sku", "quantity"),
    "po_acknowledged": (),
    "po_received": ("location_id", "sku", "quantity"),
    "stock_snapshot": ("location_id", "sku", "quantity"),
    "inventory_adjusted": ("location_id", "sku", "quantity", "reason_code"),
    "cycle_count_completed": ("location_id", "sku", "quantity"),
    "erp_posted": (),
    "api_call": (),
}
EVENT_TYPES = tuple(REQUIRED_FIELDS)

REQUIRED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "po_created": ("expected_at",),
    "po_acknowledged": ("expected_at",),
    "cycle_count_completed": ("system_quantity",),
    "erp_posted": ("posted_event_id",),
    "api_call": ("integration", "status_code", "latency_ms", "attempt"),
}

REASON_CODES = {
    "reservation_failed": ("insufficient_stock", "timeout", "api_error"),
    "order_cancelled": ("out_of_stock", "customer_request", "payment_failed", "fraud"),
    "return_inspected": ("restock", "refurbish", "vendor_return", "scrap"),
    "inventory_adjusted": ("shrink", "damage", "found", "correction"),
}

# Quantity sign rules: these may be zero (counts) or signed (adjustments); all others > 0.
NON_NEGATIVE_QUANTITY = frozenset({"stock_snapshot", "cycle_count_completed"})
SIGNED_QUANTITY = frozenset({"inventory_adjusted"})

# Stock-moving events and the sign of their effect on the book at location_id.
STOCK_EFFECT_SIGN = {
    "order_fulfilled": -1,
    "sale": -1,
    "transfer_shipped": -1,
    "transfer_received": 1,
    "return_restocked": 1,
    "po_received": 1,
    "inventory_adjusted": 1,  # quantity is already signed
}
STOCK_MOVING = frozenset(STOCK_EFFECT_SIGN)

# Adjustments that only fix the book: the physical stock already changed unrecorded.
BOOK_ONLY_ADJUSTMENTS = ("shrink", "found", "correction")

# Column order of every landed record (SPEC 4).
CANONICAL_FIELDS = (
    "event_id",
    "schema_version",
    "event_type",
    "source_system",
    "occurred_at",
    "emitted_at",
    "case_id",
    "location_id",
    "to_location_id",
    "sku",
    "quantity",
    "channel",
    "reason_code",
    "attributes",
)
ENVELOPE_FIELDS = (
    "event_id",
    "schema_version",
    "event_type",
    "source_system",
    "occurred_at",
    "emitted_at",
    "case_id",
)
