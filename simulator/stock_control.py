"""Stock control: ERP snapshots, unrecorded losses, adjustments and cycle counts.

Hidden losses are what make the book wrong: shrink stores lose units without any event, and
on phantom-inventory stores the whole shelf of a fast mover disappears (the book stays, the
item stops selling). Cycle counts see the true stock; the ERP books the difference as a
`correction`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .events import DayContext, json_objects
from .sampling import between, office_hours, store_hours
from .world import HOUR, MINUTE

BASE_SHRINK_RATE = 0.002  # every store loses a little
DAMAGE_PER_DAY = {"store": 0.25, "dc": 1.5}
FOUND_RATE = 0.03  # share of positions with surplus stock found per day
ABC_COUNT_WEIGHT = {"A": 4.0, "B": 2.0, "C": 1.0}


def take_snapshot(ctx: DayContext) -> None:
    """The ERP's midnight stock snapshot (negative book positions cannot be reported)."""
    if ctx.day % ctx.config.snapshot_every_days:
        return
    world, book = ctx.world, ctx.ledger.book
    cells = np.flatnonzero((world.carried.ravel() | (book != 0)) & (book >= 0))
    location, sku = np.divmod(cells, world.n_skus)
    ctx.add(
        "stock_snapshot",
        "erp",
        np.full(len(cells), ctx.start),
        ctx.case_ids("SNAP", location),
        location=location,
        sku=sku,
        quantity=book[cells],
    )


def lose_stock_unrecorded(ctx: DayContext) -> None:
    """Units that leave the shelf without any event: a unit now and then everywhere, often
    in shrink stores; whole shelves of fast movers in phantom-inventory stores."""
    world, config = ctx.world, ctx.config
    rng = ctx.rng("hidden_losses")
    shape = (world.n_locations, world.n_skus)
    available = ctx.ledger.available_true().reshape(shape)
    rate = np.zeros(world.n_locations)
    rate[: world.n_stores] = BASE_SHRINK_RATE
    rate[world.shrink_stores] = config.shrink_daily_loss_rate
    shrink = world.carried & (available > 0) & (rng.random(shape) < rate[:, None])
    emptied = (
        world.phantom_candidates
        & (available > 0)
        & (rng.random(shape) < config.phantom_daily_hazard)
    )
    shrunk = np.flatnonzero(shrink & ~emptied)
    ctx.ledger.schedule(shrunk, ctx.start + store_hours(rng, len(shrunk)), 0, -1)
    cells = np.flatnonzero(emptied)
    times = ctx.start + store_hours(rng, len(cells))
    ctx.ledger.schedule(cells, times, 0, -available.ravel()[cells])
    ctx.shelves_emptied.append((cells, times))


def record_adjustments(ctx: DayContext) -> None:
    """Damage (book and shelf), shrink written off where the book is too high, and stock
    found where the shelf holds more than the book."""
    world = ctx.world
    rng = ctx.rng("adjustments")
    ledger = ctx.ledger
    n_skus = world.n_skus
    is_dc = world.is_dc(np.arange(world.n_locations))
    damage_rate = np.where(is_dc, DAMAGE_PER_DAY["dc"], DAMAGE_PER_DAY["store"])
    location = np.repeat(np.arange(world.n_locations), rng.poisson(damage_rate))
    sku = rng.integers(0, n_skus, len(location))
    damaged = location * n_skus + sku
    damaged = np.unique(damaged[ledger.available_true()[damaged] > 0])

    gap = ledger.book - ledger.true
    draw = rng.random(len(gap))
    short = np.flatnonzero((gap > 0) & (draw < ctx.config.shrink_write_off_rate))
    surplus = np.flatnonzero((gap < 0) & (draw < FOUND_RATE))
    for cells, quantity, reason in (
        (damaged, -np.ones(len(damaged), dtype=np.int64), "damage"),
        (short, -np.minimum(gap[short], 3), "shrink"),
        (surplus, np.minimum(-gap[surplus], 3), "found"),
    ):
        loc, item = np.divmod(cells, n_skus)
        at_dc = world.is_dc(loc)
        source = np.where(at_dc, "wms", np.where(rng.random(len(cells)) < 0.7, "pos", "erp"))
        ctx.add(
            "inventory_adjusted",
            source,
            ctx.start + office_hours(rng, len(cells)),
            ctx.case_ids("ADJ", ctx.new_cases("ADJ", len(cells))),
            location=loc,
            sku=item,
            quantity=quantity,
            reason_code=reason,
        )


def count_cycles(ctx: DayContext) -> None:
    """Routine ABC cycle counts before opening (A items counted most often)."""
    world = ctx.world
    rng = ctx.rng("cycle_counts")
    weight = np.array([ABC_COUNT_WEIGHT[c] for c in world.sku_abc])
    carried_weight = world.carried * weight[None, :]
    mean_weight = carried_weight.sum(axis=1) / np.maximum(1, world.carried.sum(axis=1))
    chance = ctx.config.cycle_count_share_per_day * carried_weight / mean_weight[:, None]
    cells = np.flatnonzero(rng.random(chance.shape) < chance)
    location = cells // world.n_skus
    start_hour = np.where(world.is_dc(location), 5 * HOUR, 6 * HOUR)
    times = ctx.start + start_hour + between(rng, 0, 2 * HOUR, len(cells))
    record_counts(ctx, rng, cells, times)


def stock_at(ctx: DayContext, cells: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, ...]:
    """Book and true stock of each cell just before its time."""
    ledger = ctx.ledger
    move_cells, move_times, d_book, d_true = ledger.moves_before(int(times.max()) + 1)
    relevant = np.isin(move_cells, cells)
    counts = pl.DataFrame({"row": np.arange(len(cells)), "cell": cells, "at": times})
    moves = pl.DataFrame(
        {
            "cell": move_cells[relevant],
            "t": move_times[relevant],
            "d_book": d_book[relevant],
            "d_true": d_true[relevant],
        }
    )
    earlier = (
        counts.join(moves, on="cell", how="inner")
        .filter(pl.col("t") < pl.col("at"))
        .group_by("row")
        .agg(pl.col("d_book").sum(), pl.col("d_true").sum())
    )
    delta = counts.join(earlier, on="row", how="left").sort("row").fill_null(0)
    book = ledger.book[cells] + delta["d_book"].to_numpy()
    true = np.maximum(0, ledger.true[cells] + delta["d_true"].to_numpy())
    return book, true


def record_counts(ctx: DayContext, rng, cells, times, **attributes) -> None:
    """cycle_count_completed (quantity = true stock, system_quantity = book) and, where they
    differ, the ERP's correction adjustment a little later."""
    world = ctx.world
    cells = np.asarray(cells, dtype=np.int64)
    times = np.asarray(times, dtype=np.int64)
    n = len(cells)
    if n == 0:
        return
    book, true = stock_at(ctx, cells, times)
    location, sku = np.divmod(cells, world.n_skus)
    cases = ctx.case_ids("CNT", ctx.new_cases("CNT", n))
    ctx.add(
        "cycle_count_completed",
        np.where(world.is_dc(location), "wms", "pos"),
        times,
        cases,
        location=location,
        sku=sku,
        quantity=true,
        attributes=json_objects(n, system_quantity=book, **attributes),
    )
    wrong = true != book
    corrected_at = times[wrong] + between(rng, 5 * MINUTE, 90 * MINUTE, int(wrong.sum()))
    ctx.add(
        "inventory_adjusted",
        "erp",
        corrected_at,
        cases.filter(wrong),
        location=location[wrong],
        sku=sku[wrong],
        quantity=(true - book)[wrong],
        reason_code="correction",
    )
