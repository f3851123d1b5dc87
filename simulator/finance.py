"""The ERP posts every stock-moving event once, minutes to hours later (some after a day)."""

from __future__ import annotations

import numpy as np

from .events import DayContext, json_objects
from .sampling import between
from .world import HOUR, MINUTE

# Median posting lag per publishing source; the ERP's own moves post fastest.
POSTING_LAG_MEDIAN = {"pos": 60 * MINUTE, "wms": 30 * MINUTE, "erp": 10 * MINUTE}


def post_to_erp(ctx: DayContext) -> None:
    moves = ctx.stock_moves()
    n = moves.height
    if n == 0:
        return
    rng = ctx.rng("erp_postings")
    sources = moves["source_system"].to_numpy()
    median = np.select(
        [sources == source for source in POSTING_LAG_MEDIAN],
        list(POSTING_LAG_MEDIAN.values()),
        default=30 * MINUTE,
    )
    lag = (rng.lognormal(0.0, 0.8, n) * median).astype(np.int64) + MINUTE
    late = rng.random(n) < ctx.config.late_posting_share
    lag = np.where(late, between(rng, 25 * HOUR, 60 * HOUR, n), np.minimum(lag, 20 * HOUR))
    ctx.add(
        "erp_posted",
        "erp",
        moves["occurred"].to_numpy() + lag,
        moves["case_id"],
        attributes=json_objects(
            n, posted_event_id=moves["event_id"], posted_event_type=moves["event_type"]
        ),
    )
