"""Online orders: placement, reservation against the ERP, then fulfilment or cancellation.

Order lines are reserved in up to three rounds: a reservation that fails for an API error or
outage is retried once the integration is back; one that finds no stock is retried at the
fulfilment location with the most stock, else the line is cancelled out of stock. A confirmed
reservation whose shelf turns out empty (phantom stock, shrink, a promotion rush) is an
oversell: confirmed, then cancelled out_of_stock.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .events import DayContext, json_objects
from .ledger import fill_in_order
from .sampling import between, online_hours
from .telemetry import ATTEMPT_OFFSETS, TIMEOUT_MS, add_api_calls
from .world import HOUR, MINUTE, ONLINE_WEEKDAY_FACTOR, World

ONLINE_CHANNELS = np.array(["web", "marketplace", "bopis", "ship_from_store"])
CHANNEL_MIX = np.array([0.55, 0.25, 0.12, 0.08])
STORE_FULFILLED_CHANNELS = ("bopis", "ship_from_store")
KIOSK_SHARE = 0.05  # web orders placed on a store's POS ("endless aisle")
PAYMENT_FAILED_SHARE = 0.01
FRAUD_SHARE = 0.003
SPLIT_SHARE = 0.05  # lines of 2+ units fulfilled from two locations
HARD_API_FAILURE = 0.004  # outside outages: both attempts fail
TRANSIENT_API_FAILURE = 0.02  # first attempt fails, the retry succeeds
CUSTOMER_CANCEL_SHARE = 0.02
OPEN_SHARE = 0.015  # confirmed lines nobody ever fulfils
LATE_SHARE = 0.03  # lines fulfilled more than 48 h after the order
ROUNDS = 3


@dataclass
class OrderLines:
    case: np.ndarray
    sku: np.ndarray
    quantity: np.ndarray
    channel: np.ndarray
    placed: np.ndarray
    promo: np.ndarray


@dataclass
class Legs:
    """The part of an order line reserved at one location."""

    line: np.ndarray
    location: np.ndarray
    quantity: np.ndarray
    requested: np.ndarray

    def take(self, rows) -> Legs:
        return Legs(*(getattr(self, f.name)[rows] for f in fields(self)))

    def __len__(self) -> int:
        return len(self.line)

    @staticmethod
    def concat(parts: list[Legs]) -> Legs:
        return Legs(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Legs)))


@dataclass
class ReservationOutcome:
    confirmed: np.ndarray
    insufficient: np.ndarray
    api_failed: np.ndarray
    answered: np.ndarray
    outage_end: np.ndarray


def simulate_online_orders(ctx: DayContext) -> None:
    world, config = ctx.world, ctx.config
    rng = ctx.rng("orders")
    n_orders = rng.poisson(config.online_orders_per_day * ONLINE_WEEKDAY_FACTOR[ctx.weekday])
    if n_orders == 0:
        return
    order_channel = ONLINE_CHANNELS[rng.choice(len(ONLINE_CHANNELS), n_orders, p=CHANNEL_MIX)]
    order_time = ctx.start + online_hours(rng, n_orders)
    region_weight = np.bincount(world.location_region[: world.n_stores], minlength=world.n_regions)
    order_region = rng.choice(world.n_regions, n_orders, p=region_weight / region_weight.sum())
    order_case = ctx.new_cases("ORD", n_orders)
    marketplace = np.where(
        order_channel == "marketplace",
        np.char.add("MP", (1 + rng.integers(0, max(1, config.marketplaces), n_orders)).astype(str)),
        None,
    )
    order_of_line = np.repeat(np.arange(n_orders), 1 + rng.binomial(2, 0.18, n_orders))
    n = len(order_of_line)
    channel = order_channel[order_of_line]
    sku = np.zeros(n, dtype=np.int64)
    promo = np.zeros(n, dtype=bool)
    for name in ONLINE_CHANNELS:
        rows = np.flatnonzero(channel == name)
        uplift = world.promo_uplift(ctx.day, name)
        weight = world.sku_popularity * uplift
        sku[rows] = rng.choice(world.n_skus, len(rows), p=weight / weight.sum())
        promo[rows] = uplift[sku[rows]] > 1
    lines = OrderLines(
        case=order_case[order_of_line],
        sku=sku,
        quantity=1 + rng.binomial(2, 0.12, n),
        channel=channel,
        placed=order_time[order_of_line],
        promo=promo,
    )
    region = order_region[order_of_line]
    store = _pick_store(rng, world, region)
    _place(ctx, rng, lines, store, marketplace[order_of_line])

    # Orders whose payment fails or that are flagged as fraud never reach reservation.
    draw = rng.random(n_orders)[order_of_line]
    early_reason = np.where(
        draw < PAYMENT_FAILED_SHARE,
        "payment_failed",
        np.where(draw < PAYMENT_FAILED_SHARE + FRAUD_SHARE, "fraud", ""),
    )
    early = early_reason != ""
    early_at = lines.placed[early] + between(rng, MINUTE, 30 * MINUTE, early.sum())
    _cancel(ctx, lines, np.flatnonzero(early), lines.quantity[early], early_at, early_reason[early])

    at_store = np.isin(channel, STORE_FULFILLED_CHANNELS) & world.carried[store, sku]
    location = np.where(at_store, store, world.region_dc[region])
    requested = lines.placed + np.where(
        channel == "marketplace", between(rng, 10 * MINUTE, 3 * HOUR, n), between(rng, 5, 90, n)
    )
    # A few multi-unit lines take one unit from a second location.
    split = ~early & (lines.quantity >= 2) & (rng.random(n) < SPLIT_SHARE)
    second_location = np.full(n, -1)
    second_location[split] = _fallback_location(ctx, location[split], sku[split])
    split &= second_location >= 0
    live, second = np.flatnonzero(~early), np.flatnonzero(split)
    primary = Legs(live, location[live], lines.quantity[live] - split[live], requested[live])
    partner = Legs(
        second, second_location[second], np.ones(len(second), np.int64), requested[second]
    )
    _reserve_in_rounds(ctx, rng, lines, Legs.concat([primary, partner]))


def _pick_store(rng: np.random.Generator, world: World, region: np.ndarray) -> np.ndarray:
    """A store in the customer's region, bigger stores more often."""
    store = np.zeros(len(region), dtype=np.int64)
    for r in range(world.n_regions):
        rows = np.flatnonzero(region == r)
        candidates = world.region_stores(r)
        if len(rows) and len(candidates):
            weight = world.store_size[candidates]
            store[rows] = rng.choice(candidates, len(rows), p=weight / weight.sum())
    return store


def _place(ctx: DayContext, rng, lines: OrderLines, store, marketplace) -> None:
    kiosk = (lines.channel == "web") & (rng.random(len(lines.sku)) < KIOSK_SHARE)
    source = np.where(lines.channel == "marketplace", "marketplace", "ecommerce")
    for rows, location in ((~kiosk, None), (kiosk, store[kiosk])):
        ctx.add(
            "order_placed",
            np.where(kiosk[rows], "pos", source[rows]),
            lines.placed[rows],
            ctx.case_ids("ORD", lines.case[rows]),
            location=location,
            sku=lines.sku[rows],
            quantity=lines.quantity[rows],
            channel=lines.channel[rows],
            attributes=json_objects(int(rows.sum()), marketplace=marketplace[rows]),
        )


def _cancel(ctx: DayContext, lines: OrderLines, line, quantity, at, reason, location=None):
    ctx.add(
        "order_cancelled",
        "oms",
        at,
        ctx.case_ids("ORD", lines.case[line]),
        location=location,
        sku=lines.sku[line],
        quantity=quantity,
        channel=lines.channel[line],
        reason_code=reason,
    )


def _fallback_location(ctx: DayContext, location: np.ndarray, sku: np.ndarray) -> np.ndarray:
    """Where to try instead: a store falls back to its DC, a DC to the DC with most stock
    available for the SKU (-1 when there is no other DC)."""
    world = ctx.world
    alternative = world.serving_dc[location].copy()
    at_dc = np.flatnonzero(world.is_dc(location))
    if len(at_dc) == 0:
        return alternative
    if world.n_dcs == 1:
        alternative[at_dc] = -1
        return alternative
    available = ctx.ledger.available_book().reshape(world.n_locations, world.n_skus)
    stock = available[world.n_stores :][:, sku[at_dc]].astype(float)
    stock[location[at_dc] - world.n_stores, np.arange(len(at_dc))] = -np.inf
    alternative[at_dc] = world.n_stores + np.argmax(stock, axis=0)
    return alternative


def _reserve_in_rounds(ctx: DayContext, rng, lines: OrderLines, legs: Legs) -> None:
    for round_number in range(ROUNDS):
        if len(legs) == 0:
            return
        last_round = round_number == ROUNDS - 1
        outcome = _reserve(ctx, rng, lines, legs)
        _settle(ctx, rng, lines, legs.take(outcome.confirmed), outcome.answered[outcome.confirmed])

        short = legs.take(outcome.insufficient)
        answered = outcome.answered[outcome.insufficient]
        alternative = _fallback_location(ctx, short.location, lines.sku[short.line])
        give_up = (alternative < 0) | last_round
        cancel_at = answered[give_up] + between(rng, MINUTE, 5 * MINUTE, give_up.sum())
        _cancel(
            ctx,
            lines,
            short.line[give_up],
            short.quantity[give_up],
            cancel_at,
            "out_of_stock",
            location=short.location[give_up],
        )
        fallback = short.take(~give_up)
        fallback.location = alternative[~give_up]
        fallback.requested = answered[~give_up] + between(rng, 30, 120, len(fallback))

        # After an API failure the OMS retries once the integration answers again.
        retrying = outcome.api_failed & (not last_round)
        retry = legs.take(retrying)
        resume = np.maximum(outcome.outage_end, outcome.answered)[retrying]
        retry.requested = resume + between(rng, 2 * MINUTE, 20 * MINUTE, len(retry))
        legs = Legs.concat([fallback, retry])


def _reserve(ctx: DayContext, rng, lines: OrderLines, legs: Legs) -> ReservationOutcome:
    world, ledger = ctx.world, ctx.ledger
    n = len(legs)
    sku = lines.sku[legs.line]
    case = ctx.case_ids("ORD", lines.case[legs.line])
    channel = lines.channel[legs.line]
    common = dict(location=legs.location, sku=sku, quantity=legs.quantity, channel=channel)
    ctx.add("reservation_requested", "oms", legs.requested, case, **common)

    in_outage, outage_end = world.outage_state("oms_erp_availability", legs.requested)
    draw = rng.random(n)
    hard = ~in_outage & (draw < HARD_API_FAILURE)
    transient = ~in_outage & ~hard & (draw < HARD_API_FAILURE + TRANSIENT_API_FAILURE)
    api_failed, attempts, last_status = add_api_calls(
        ctx,
        rng,
        "oms_erp_availability",
        legs.requested,
        max_attempts=np.where(in_outage, 3, np.where(hard | transient, 2, 1)),
        forced_failures=np.where(hard, 2, transient.astype(np.int64)),
        order_id=case.to_numpy(),
    )
    timed_out = last_status == 0

    latency = 1 + rng.lognormal(np.log(2.0), 0.9, n).astype(np.int64) * np.where(
        lines.promo[legs.line], 2, 1
    )
    answered = legs.requested + ATTEMPT_OFFSETS[attempts - 1] + latency
    wanted = np.where(api_failed, 0, legs.quantity)
    granted = fill_in_order(
        legs.location * world.n_skus + sku, wanted, legs.requested, ledger.available_book()
    )
    insufficient = ~api_failed & (granted < legs.quantity)
    confirmed = ~api_failed & ~insufficient

    # The OMS gives up on a call one timeout after its last attempt.
    gave_up_at = legs.requested + ATTEMPT_OFFSETS[attempts - 1] + TIMEOUT_MS // 1000 + 1
    answered = np.where(api_failed, gave_up_at, answered)
    for rows, source, reason in (
        (api_failed, "oms", np.where(timed_out, "timeout", "api_error")),
        (insufficient, "erp", "insufficient_stock"),
    ):
        ctx.add(
            "reservation_failed",
            source,
            answered[rows],
            case.filter(rows),
            reason_code=reason[rows] if np.ndim(reason) else reason,
            **{key: value[rows] for key, value in common.items()},
        )
    ctx.add(
        "reservation_confirmed",
        "erp",
        answered[confirmed],
        case.filter(confirmed),
        **{key: value[confirmed] for key, value in common.items()},
    )
    return ReservationOutcome(confirmed, insufficient, api_failed, answered, outage_end)


def _settle(ctx: DayContext, rng, lines: OrderLines, legs: Legs, confirmed_at) -> None:
    """What happens to confirmed legs: fulfilment (sometimes late), an oversell, a customer
    cancellation, or nothing at all (left open)."""
    world, config = ctx.world, ctx.config
    n = len(legs)
    if n == 0:
        return
    sku = lines.sku[legs.line]
    granted = fill_in_order(
        legs.location * world.n_skus + sku, legs.quantity, confirmed_at, ctx.ledger.available_true()
    )
    draw = rng.random((3, n))
    race = np.where(lines.promo[legs.line], config.promo_oversell_rate, config.base_oversell_rate)
    oversold = (granted < legs.quantity) | (draw[0] < race)
    cancelled = ~oversold & (draw[1] < CUSTOMER_CANCEL_SHARE)
    left_open = ~oversold & ~cancelled & (draw[1] < CUSTOMER_CANCEL_SHARE + OPEN_SHARE)
    fulfilled = ~oversold & ~cancelled & ~left_open
    late = fulfilled & (draw[2] < LATE_SHARE)

    at_store = ~world.is_dc(legs.location)
    on_time = confirmed_at + np.where(
        at_store, between(rng, 30 * MINUTE, 6 * HOUR, n), between(rng, 3 * HOUR, 30 * HOUR, n)
    )
    overdue = lines.placed[legs.line] + between(rng, 49 * HOUR, 96 * HOUR, n)
    fulfilled_at = np.where(late, overdue, on_time)
    for rows, delay, reason in (
        (oversold, (HOUR, 12 * HOUR), "out_of_stock"),
        (cancelled, (10 * MINUTE, 8 * HOUR), "customer_request"),
    ):
        at = confirmed_at[rows] + between(rng, *delay, rows.sum())
        _cancel(
            ctx,
            lines,
            legs.line[rows],
            legs.quantity[rows],
            at,
            reason,
            location=legs.location[rows],
        )
    ctx.add(
        "order_fulfilled",
        np.where(at_store, "pos", "wms")[fulfilled],
        fulfilled_at[fulfilled],
        ctx.case_ids("ORD", lines.case[legs.line[fulfilled]]),
        location=legs.location[fulfilled],
        sku=sku[fulfilled],
        quantity=legs.quantity[fulfilled],
        channel=lines.channel[legs.line[fulfilled]],
    )
