"""The WMS's schema version 2 (contract §2.2): `site_id` instead of `location_id`, and
`item: {"sku", "qty"}` instead of `sku` and `quantity`.

Selected by the record's `schema_version`, whatever folder it landed in. The stored row keeps
`schema_version = "2"`; every other field is read under its canonical name. A version 2
record without `item` simply lacks its sku and quantity, so it fails the canonical rules
(`missing_field:sku`…): the adapter needs no reasons of its own.
"""

from omnistock.ingest.adapters.base import JSON, TEXT, SourceAdapter

ADAPTER = SourceAdapter(
    name="wms_v2",
    selects="doc.schema_version = '2'",
    shape={"site_id": TEXT, "item": {"sku": TEXT, "qty": JSON}},
    fields={
        "location_id": "doc.site_id",
        "sku": "doc.item.sku",
        "quantity": "doc.item.qty",  # JSON: a quoted "5" stays text and is refused
    },
)
