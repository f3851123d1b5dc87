"""Store systems answering the platform's cycle-count requests (docs/architecture.md).

The simulator keeps what it needs in `<landing>/_simulator/`: `state.json` (config, the
simulated clock, answered request ids, response count) and `stock.parquet` (book and true
stock per sku-location at the clock). Stock moves scheduled after the horizon (e.g. a
fulfilment due next week) are not part of that state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from .config import config_from_dict, config_to_dict
from .delivery import (
    to_records,
    write_atomically,
    write_parquet_atomically,
    write_source_files,
)
from .events import DayContext
from .finance import post_to_erp
from .ledger import StockLedger
from .stock_control import record_counts
from .world import DAY, MINUTE, World, build_world

STATE_DIR = "_simulator"
REQUEST_SPACING = 15 * MINUTE  # one counter walks the requests one after another
SKU_SPACING = 2 * MINUTE


def stock_table(world: World, ledger: StockLedger) -> pl.DataFrame:
    """Book and true stock of every carried (or non-empty) sku-location."""
    cells = np.flatnonzero(world.carried.ravel() | (ledger.book != 0) | (ledger.true != 0))
    location, sku = np.divmod(cells, world.n_skus)
    return pl.DataFrame(
        {
            "location_id": world.location_ids[location],
            "sku": world.sku_ids[sku],
            "book": ledger.book[cells],
            "true": ledger.true[cells],
        }
    )


def save_state(
    landing: Path,
    world: World,
    ledger: StockLedger,
    clock: int,
    answered: list[str] | None = None,
    responses: int = 0,
) -> None:
    folder = Path(landing) / STATE_DIR
    write_parquet_atomically(folder / "stock.parquet", stock_table(world, ledger))
    state = {
        "config": config_to_dict(world.config),
        "clock": _iso(clock),
        "responses": responses,
        "answered": sorted(answered or []),
    }
    write_atomically(folder / "state.json", (json.dumps(state, indent=2) + "\n").encode())


def _load_state(landing: Path) -> tuple[World, StockLedger, dict]:
    folder = Path(landing) / STATE_DIR
    if not (folder / "state.json").exists():
        raise FileNotFoundError(f"no simulator state in {folder}: run simulate() into it first")
    state = json.loads((folder / "state.json").read_text())
    world = build_world(config_from_dict(state["config"]))
    stock = pl.read_parquet(folder / "stock.parquet")
    location = _index(world.location_ids, stock["location_id"].to_numpy())
    sku = _index(world.sku_ids, stock["sku"].to_numpy())
    cells = location * world.n_skus + sku
    book = np.zeros(world.n_locations * world.n_skus, dtype=np.int64)
    true = np.zeros_like(book)
    book[cells] = stock["book"].to_numpy()
    true[cells] = stock["true"].to_numpy()
    return world, StockLedger(book, true), state


def _index(ids: np.ndarray, values) -> np.ndarray:
    lookup = {value: i for i, value in enumerate(ids.tolist())}
    return np.array([lookup[v] for v in values], dtype=np.int64)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(moment: str | datetime) -> int:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _read_requests(world: World, outbox: Path, answered: set[str]) -> list[tuple]:
    """Unanswered, well-formed requests as (request_id, reason, location, sku indices)."""
    locations = {value: i for i, value in enumerate(world.location_ids.tolist())}
    skus = {value: i for i, value in enumerate(world.sku_ids.tolist())}
    requests = []
    for path in sorted(Path(outbox).glob("*.json")):
        try:
            request = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        request_id = str(request.get("request_id") or path.stem)
        location = locations.get(request.get("location_id"))
        if request_id in answered or location is None:
            continue
        wanted = [
            item.get("sku") if isinstance(item, dict) else item
            for item in request.get("skus") or []
        ]
        known = list(dict.fromkeys(skus[s] for s in wanted if s in skus))
        if known:
            requests.append((request_id, str(request.get("reason") or ""), location, known))
    return requests


def respond_to_outbox(
    landing_dir: str | Path, outbox_dir: str | Path, responded_at: str | datetime | None = None
) -> list[str]:
    """Answer every cycle-count request in `outbox_dir` not answered before.

    Each requested SKU gets a `cycle_count_completed` (quantity = true stock, system_quantity
    = book) from the location's POS or WMS; where they differ the ERP books a `correction`
    and posts it. The events land as one new batch file per source folder, named after the
    response time so it sorts after every earlier file. Counting happens at `responded_at`
    or, if that is earlier or missing, at the simulated clock (the end of the data or of the
    previous response). Returns the request ids answered.
    """
    landing = Path(landing_dir)
    world, ledger, state = _load_state(landing)
    answered = set(state["answered"])
    requests = _read_requests(world, Path(outbox_dir), answered)
    if not requests:
        return []
    clock = _seconds(state["clock"])
    if responded_at is not None:
        clock = max(clock, _seconds(responded_at))
    response = state["responses"] + 1
    day = (clock - world.start) // DAY
    ctx = DayContext(
        world,
        ledger,
        day,
        id_tag=f"{_iso(clock)[:10].replace('-', '')}r{response}",
        stream=f"response-{response}",
    )
    cells, times, request_ids, reasons = [], [], [], []
    for number, (request_id, reason, location, skus) in enumerate(requests):
        begin = clock + (number + 1) * REQUEST_SPACING
        cells += [location * world.n_skus + sku for sku in skus]
        times += [begin + k * SKU_SPACING for k in range(len(skus))]
        request_ids += [request_id] * len(skus)
        reasons += [reason] * len(skus)
    record_counts(
        ctx,
        ctx.rng("counts"),
        np.array(cells),
        np.array(times),
        request_id=np.array(request_ids),
        request_reason=np.array(reasons),
    )
    post_to_erp(ctx)
    events = ctx.events()
    ledger.close_day(int(events["occurred"].max()) + 1)  # book := true where counted

    stem = f"{_iso(clock).replace(':', '-')}-cycle-count-response-{response:04d}"
    write_source_files(landing, to_records(world, events, day), stem)

    new_ids = [request_id for request_id, *_ in requests]
    save_state(
        landing,
        world,
        ledger,
        clock=int(events["emitted"].max()) + 1,
        answered=sorted(answered | set(new_ids)),
        responses=response,
    )
    return new_ids
