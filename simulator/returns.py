"""Returns: at the store till, or online through customer service to the regional DC.

Online returns pass inspection at the DC; the slow-returns DC takes days to inspect and
never inspects some returns at all.
"""

from __future__ import annotations

import numpy as np

from .events import DayContext, json_objects
from .sampling import between, online_hours, store_hours
from .world import DAY, HOUR, MINUTE, ONLINE_WEEKDAY_FACTOR

DISPOSITIONS = np.array(["restock", "refurbish", "vendor_return", "scrap"])
ONLINE_DISPOSITION_P = np.array([0.7, 0.12, 0.1, 0.08])
STORE_DISPOSITION_P = np.array([0.8, 0.0, 0.1, 0.1])
RETURN_REASONS = np.array(["wrong_size", "damaged", "not_as_described", "changed_mind"])


def simulate_returns(ctx: DayContext) -> None:
    rng = ctx.rng("returns")
    _store_returns(ctx, rng)
    _online_returns(ctx, rng)


def _store_returns(ctx: DayContext, rng) -> None:
    """Refunded at the till, inspected in the back room the same day."""
    world = ctx.world
    weight = world.velocity[: world.n_stores].ravel()
    count = rng.poisson(ctx.config.store_return_rate * weight.sum())
    if count == 0:
        return
    cells = rng.choice(len(weight), count, p=weight / weight.sum())
    store, sku = np.divmod(cells, world.n_skus)
    initiated = ctx.start + store_hours(rng, count)
    received = initiated + between(rng, MINUTE, 5 * MINUTE, count)
    refunded = received + between(rng, 2 * MINUTE, 10 * MINUTE, count)
    inspected = received + between(rng, 20 * MINUTE, 6 * HOUR, count)
    disposition = DISPOSITIONS[rng.choice(len(DISPOSITIONS), count, p=STORE_DISPOSITION_P)]
    cases = ctx.case_ids("RET", ctx.new_cases("RET", count))
    item = dict(location=store, sku=sku, quantity=np.ones(count, dtype=np.int64))
    ctx.add(
        "return_initiated",
        "pos",
        initiated,
        cases,
        channel="store",
        attributes=json_objects(count, return_reason=_reasons(rng, count)),
        **item,
    )
    ctx.add("return_received", "pos", received, cases, **item)
    ctx.add("refund_issued", "erp", refunded, cases, location=store)
    ctx.add("return_inspected", "pos", inspected, cases, reason_code=disposition, **item)
    _restock(ctx, rng, "pos", inspected, cases, disposition, item)


def _online_returns(ctx: DayContext, rng) -> None:
    world, config = ctx.world, ctx.config
    count = rng.poisson(config.online_returns_per_day * ONLINE_WEEKDAY_FACTOR[ctx.weekday])
    if count == 0:
        return
    channel = np.where(rng.random(count) < 0.7, "web", "marketplace")
    sku = rng.choice(world.n_skus, count, p=world.sku_popularity)
    quantity = np.where(rng.random(count) < 0.9, 1, 2)
    region_weight = np.bincount(world.location_region[: world.n_stores], minlength=world.n_regions)
    dc = world.region_dc[rng.choice(world.n_regions, count, p=region_weight / region_weight.sum())]
    initiated = ctx.start + online_hours(rng, count)
    arrival_day = (initiated + between(rng, DAY, 4 * DAY, count)) // DAY * DAY
    received = arrival_day + 8 * HOUR + between(rng, 0, 10 * HOUR, count)
    slow = dc == world.slow_returns_dc
    inspected = received + np.where(
        slow, between(rng, 3 * DAY, 9 * DAY, count), between(rng, 2 * HOUR, 30 * HOUR, count)
    )
    checked = ~(slow & (rng.random(count) < config.slow_returns_never_inspected_share))
    disposition = DISPOSITIONS[rng.choice(len(DISPOSITIONS), count, p=ONLINE_DISPOSITION_P)]
    cases = ctx.case_ids("RET", ctx.new_cases("RET", count))
    source = np.where(rng.random(count) < 0.6, "customer_service", "ecommerce")
    ctx.add(
        "return_initiated",
        source,
        initiated,
        cases,
        sku=sku,
        quantity=quantity,
        channel=channel,
        attributes=json_objects(count, return_reason=_reasons(rng, count)),
    )
    ctx.add("return_received", "wms", received, cases, location=dc, sku=sku, quantity=quantity)
    item = dict(location=dc[checked], sku=sku[checked], quantity=quantity[checked])
    cases, inspected = cases.filter(checked), inspected[checked]
    ctx.add("return_inspected", "wms", inspected, cases, reason_code=disposition[checked], **item)
    _restock(ctx, rng, "wms", inspected, cases, disposition[checked], item)
    refunded = inspected + between(rng, HOUR, 24 * HOUR, len(inspected))
    ctx.add("refund_issued", "customer_service", refunded, cases, location=item["location"])


def _restock(ctx: DayContext, rng, source: str, inspected, cases, disposition, item) -> None:
    rows = disposition == "restock"
    restocked = inspected[rows] + between(rng, 5 * MINUTE, 8 * HOUR, int(rows.sum()))
    ctx.add(
        "return_restocked",
        source,
        restocked,
        cases.filter(rows),
        **{key: value[rows] for key, value in item.items()},
    )


def _reasons(rng, count: int) -> np.ndarray:
    return RETURN_REASONS[rng.integers(0, len(RETURN_REASONS), count)]
