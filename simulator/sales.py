"""Store sales at the POS, limited by what is physically on the shelf."""

from __future__ import annotations

import numpy as np

from .events import DayContext
from .ledger import fill_in_order
from .sampling import store_hours
from .world import STORE_WEEKDAY_FACTOR

UNITS_PER_LINE = np.array([1, 2, 3])
UNITS_PER_LINE_P = np.array([0.86, 0.11, 0.03])
NEW_TICKET_P = 0.55  # chance that the next line of a store starts a new ticket


def simulate_store_sales(ctx: DayContext) -> None:
    world = ctx.world
    rng = ctx.rng("sales")
    mean_units = float(UNITS_PER_LINE @ UNITS_PER_LINE_P)
    rate = (
        world.velocity[: world.n_stores]
        * STORE_WEEKDAY_FACTOR[ctx.weekday]
        * world.promo_uplift(ctx.day, "store")[None, :]
        / mean_units
    )
    lines_per_cell = rng.poisson(rate).ravel()
    busy = np.flatnonzero(lines_per_cell)
    cells = np.repeat(busy, lines_per_cell[busy])  # store rows come first: flat index = cell
    wanted = rng.choice(UNITS_PER_LINE, len(cells), p=UNITS_PER_LINE_P)
    times = ctx.start + store_hours(rng, len(cells))
    # Customers take what is on the shelf; an empty shelf (phantom stock) sells nothing.
    sold = fill_in_order(cells, wanted, times, ctx.ledger.available_true())
    keep = sold > 0
    cells, sold, times = cells[keep], sold[keep], times[keep]
    store, sku = np.divmod(cells, world.n_skus)

    # Lines of one store in time order, grouped into tickets sharing the checkout time.
    order = np.lexsort((times, store))
    store, sku, sold, times = store[order], sku[order], sold[order], times[order]
    new_ticket = np.r_[True, store[1:] != store[:-1]] | (rng.random(len(store)) < NEW_TICKET_P)
    ticket = np.cumsum(new_ticket) - 1
    times = times[np.flatnonzero(new_ticket)[ticket]]
    cases = ctx.new_cases("TKT", int(new_ticket.sum()))[ticket]
    ctx.add(
        "sale",
        "pos",
        times,
        ctx.case_ids("TKT", cases),
        location=store,
        sku=sku,
        quantity=sold,
        channel="store",
    )
