"""Replenishment: DC-to-store and store-to-store transfers, and purchase orders for DCs."""

from __future__ import annotations

import numpy as np

from .events import DayContext, iso_utc, json_objects
from .ledger import fill_in_order
from .sampling import between
from .world import DAY, HOUR, MINUTE

CASE_PACK = 6
OTHER_DC_SHORT_RATE = 0.003  # transfer lines arriving one unit short from healthy DCs
REVISION_SHARE = 0.25  # POs whose acknowledgement pushes expected_at out by a day
ON_TIME_SUPPLIER_LATE_SHARE = 0.06


def replenish_stores(ctx: DayContext) -> None:
    """The nightly run orders up to target for store SKUs whose inventory position (book plus
    everything in flight) is at or below the reorder point: one transfer per store."""
    world = ctx.world
    rng = ctx.rng("replenishment")
    n_stores, n_skus = world.n_stores, world.n_skus
    position = ctx.ledger.position()[: n_stores * n_skus].reshape(n_stores, n_skus)
    need = world.carried[:n_stores] & (position <= world.reorder_point[:n_stores])
    store, sku = np.nonzero(need)
    if len(store) == 0:
        return
    quantity = world.order_up_to[store, sku] - position[store, sku]
    stores, per_case = np.unique(store, return_inverse=True)
    k = len(stores)
    requested = ctx.start + 4 * HOUR + between(rng, 0, 2 * HOUR, k)
    approved = requested + between(rng, 5 * MINUTE, 3 * HOUR, k)
    shipped = approved + between(rng, 4 * HOUR, 20 * HOUR, k)
    received = shipped + between(rng, 10 * HOUR, 40 * HOUR, k)
    run_transfers(
        ctx,
        rng,
        ctx.new_cases("TRF", k)[per_case],
        world.serving_dc[store],
        store,
        sku,
        quantity,
        *(t[per_case] for t in (requested, approved, shipped, received)),
    )


def rebalance_stores(ctx: DayContext) -> None:
    """A few store-to-store transfers a day, from a store with spare stock to a neighbour."""
    world = ctx.world
    rng = ctx.rng("rebalancing")
    n_stores, n_skus = world.n_stores, world.n_skus
    count = rng.poisson(ctx.config.store_transfers_per_store_day * n_stores)
    if count == 0 or n_stores < 2:
        return
    available = ctx.ledger.available_true()[: n_stores * n_skus].reshape(n_stores, n_skus)
    origins, destinations, skus, quantities = [], [], [], []
    for origin in rng.integers(0, n_stores, count):
        spare = np.flatnonzero(world.carried[origin] & (available[origin] >= 4))
        if len(spare) == 0:
            continue
        sku = int(rng.choice(spare))
        neighbours = world.region_stores(world.location_region[origin])
        neighbours = neighbours[(neighbours != origin) & world.carried[neighbours, sku]]
        if len(neighbours) == 0:
            continue
        quantity = int(min(3, available[origin, sku] // 3))
        available[origin, sku] -= quantity
        origins.append(origin)
        destinations.append(int(rng.choice(neighbours)))
        skus.append(sku)
        quantities.append(quantity)
    k = len(origins)
    if k == 0:
        return
    requested = ctx.start + 9 * HOUR + between(rng, 0, 8 * HOUR, k)
    approved = requested + between(rng, 10 * MINUTE, 2 * HOUR, k)
    shipped = approved + between(rng, 2 * HOUR, 8 * HOUR, k)
    received = shipped + between(rng, 8 * HOUR, 30 * HOUR, k)
    run_transfers(
        ctx,
        rng,
        ctx.new_cases("TRF", k),
        np.array(origins),
        np.array(destinations),
        np.array(skus),
        np.array(quantities),
        requested,
        approved,
        shipped,
        received,
    )


def run_transfers(
    ctx: DayContext,
    rng,
    cases,
    origin,
    destination,
    sku,
    quantity,
    requested,
    approved,
    shipped_at,
    received_at,
) -> None:
    """requested -> approved -> shipped (what the origin can pick) -> received. The
    short-shipping DC's lines often arrive short; a few store receipts are shelved without
    being scanned (physical stock arrives, no transfer_received)."""
    world, config = ctx.world, ctx.config
    n = len(cases)
    case_ids = ctx.case_ids("TRF", cases)
    route = dict(location=origin, to_location=destination, sku=sku, quantity=quantity)
    ctx.add("transfer_requested", "erp", requested, case_ids, **route)
    ctx.add("transfer_approved", "erp", approved, case_ids, **route)

    shipped = fill_in_order(
        origin * world.n_skus + sku, quantity, shipped_at, ctx.ledger.available_true()
    )
    draw = rng.random((2, n))
    short_rate = np.where(
        origin == world.short_ship_dc,
        config.short_ship_line_share,
        np.where(world.is_dc(origin), OTHER_DC_SHORT_RATE, 0.0),
    )
    missing = np.maximum(1, np.round(shipped * rng.uniform(0.1, 0.4, n))).astype(np.int64)
    short = (shipped >= 2) & (draw[0] < short_rate)
    received = np.where(short, shipped - np.minimum(missing, shipped - 1), shipped)
    moved = shipped > 0
    unscanned = moved & ~world.is_dc(destination) & (draw[1] < config.unscanned_receipt_rate)
    scanned = moved & ~unscanned

    ctx.add(
        "transfer_shipped",
        np.where(world.is_dc(origin), "wms", "pos")[moved],
        shipped_at[moved],
        case_ids.filter(moved),
        location=origin[moved],
        to_location=destination[moved],
        sku=sku[moved],
        quantity=shipped[moved],
    )
    ctx.add(
        "transfer_received",
        np.where(world.is_dc(destination), "wms", "pos")[scanned],
        received_at[scanned],
        case_ids.filter(scanned),
        location=destination[scanned],
        sku=sku[scanned],
        quantity=received[scanned],
        attributes=json_objects(
            int(scanned.sum()), from_location_id=world.location_ids[origin[scanned]]
        ),
    )
    ctx.ledger.schedule(
        destination[unscanned] * world.n_skus + sku[unscanned],
        received_at[unscanned],
        0,
        received[unscanned],
    )


def purchase_for_dcs(ctx: DayContext) -> None:
    """DCs order from suppliers when their position drops to the reorder point: one PO per
    DC and supplier. The supplier acknowledges (sometimes pushing expected_at out a day) and
    delivers; the late supplier mostly delivers days after the latest promised date."""
    world, config = ctx.world, ctx.config
    rng = ctx.rng("purchasing")
    dcs = world.dc_indices()
    n_skus = world.n_skus
    position = ctx.ledger.position().reshape(world.n_locations, n_skus)[dcs]
    dc_row, sku = np.nonzero(position <= world.reorder_point[dcs])
    if len(sku) == 0:
        return
    dc = dcs[dc_row]
    shortfall = world.order_up_to[dc, sku] - position[dc_row, sku]
    quantity = np.maximum(1, np.ceil(shortfall / CASE_PACK)).astype(np.int64) * CASE_PACK
    supplier = world.sku_supplier[sku]
    keys, per_po = np.unique(dc_row * len(world.supplier_ids) + supplier, return_inverse=True)
    k = len(keys)
    po_supplier = keys % len(world.supplier_ids)
    po_dc = dcs[keys // len(world.supplier_ids)]
    late_supplier = po_supplier == world.late_supplier

    created = ctx.start + 3 * HOUR + between(rng, 0, 2 * HOUR, k)
    expected = (
        ctx.start
        + world.supplier_lead_days[po_supplier] * DAY
        + 10 * HOUR
        + between(rng, 0, 6 * HOUR, k)
    )
    acknowledged = created + between(rng, HOUR, 20 * HOUR, k)
    revised = rng.random(k) < np.where(late_supplier, 2 * REVISION_SHARE, REVISION_SHARE)
    latest_expected = expected + revised * DAY
    late = rng.random(k) < np.where(
        late_supplier, config.late_supplier_late_share, ON_TIME_SUPPLIER_LATE_SHARE
    )
    lateness = np.where(
        late_supplier, between(rng, 12 * HOUR, 3 * DAY, k), between(rng, 2 * HOUR, 30 * HOUR, k)
    )
    arrival = np.where(
        late,
        latest_expected + lateness,
        np.maximum(latest_expected - between(rng, 0, 8 * HOUR, k), acknowledged + HOUR),
    )

    po_ids = ctx.case_ids("PO", ctx.new_cases("PO", k))
    supplier_ids = world.supplier_ids[po_supplier]
    ctx.add(
        "po_created",
        "erp",
        created[per_po],
        po_ids.gather(per_po),
        location=dc,
        sku=sku,
        quantity=quantity,
        attributes=json_objects(
            len(sku), expected_at=iso_utc(expected[per_po]), supplier_id=supplier_ids[per_po]
        ),
    )
    ctx.add(
        "po_acknowledged",
        "supplier_portal",
        acknowledged,
        po_ids,
        location=po_dc,
        attributes=json_objects(
            k, expected_at=iso_utc(latest_expected), supplier_id=supplier_ids, revised=revised
        ),
    )
    ctx.add(
        "po_received",
        "wms",
        arrival[per_po],
        po_ids.gather(per_po),
        location=dc,
        sku=sku,
        quantity=quantity,
        attributes=json_objects(len(sku), supplier_id=supplier_ids[per_po]),
    )
