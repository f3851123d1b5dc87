"""Integration gateway telemetry: `api_call` events, with retries and planted outages."""

from __future__ import annotations

import numpy as np

from .events import DayContext, json_objects
from .world import DAY, MINUTE

ATTEMPT_OFFSETS = np.array([0, 5, 20])  # seconds after the first attempt
TIMEOUT_MS = 30_000
SERVER_ERRORS = np.array([500, 502, 503, 504])
CLIENT_ERRORS = np.array([409, 429])
HEARTBEAT_FAILURE_RATE = 0.004


def add_api_calls(
    ctx: DayContext,
    rng: np.random.Generator,
    integration: str,
    first_call,
    max_attempts,
    forced_failures,
    **attributes,
) -> tuple[np.ndarray, ...]:
    """One api_call per attempt of each logical call (attempts share a case id). An attempt
    fails while the integration is in an outage or when it is one of the call's first
    `forced_failures`; a call stops at its first success or after `max_attempts`.
    Returns per call whether it failed for good, its attempts and its last status code."""
    first_call = np.asarray(first_call, dtype=np.int64)
    calls = len(first_call)
    if calls == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    max_attempts = np.broadcast_to(np.asarray(max_attempts), (calls,))
    forced_failures = np.broadcast_to(np.asarray(forced_failures), (calls,))
    offsets = ATTEMPT_OFFSETS[None, :]
    planned = np.arange(len(ATTEMPT_OFFSETS))[None, :] < max_attempts[:, None]
    in_outage, _ = ctx.world.outage_state(integration, first_call[:, None] + offsets)
    failing = in_outage | (np.arange(len(ATTEMPT_OFFSETS))[None, :] < forced_failures[:, None])
    succeeds = planned & ~failing
    gave_up = ~succeeds.any(axis=1)
    attempts = np.where(gave_up, max_attempts, succeeds.argmax(axis=1) + 1)

    call = np.repeat(np.arange(calls), attempts)
    first_row = np.cumsum(attempts) - attempts
    attempt = np.arange(len(call)) - first_row[call] + 1
    failed = failing[call, attempt - 1]
    n = len(call)
    timeout = failed & (rng.random(n) < 0.6)
    status = np.where(
        failed,
        np.where(timeout, 0, SERVER_ERRORS[rng.integers(0, len(SERVER_ERRORS), n)]),
        np.where(rng.random(n) < 0.005, CLIENT_ERRORS[rng.integers(0, 2, n)], 200),
    )
    latency = np.where(
        timeout, TIMEOUT_MS, np.maximum(5, rng.lognormal(np.log(120), 0.6, n)).astype(np.int64)
    )
    cases = ctx.new_cases("API", calls)[call]
    extra = {
        key: np.asarray(value)[call] if np.ndim(value) else value
        for key, value in attributes.items()
    }
    ctx.add(
        "api_call",
        "integration_gateway",
        first_call[call] + ATTEMPT_OFFSETS[attempt - 1],
        ctx.case_ids("API", cases),
        attributes=json_objects(
            n,
            integration=integration,
            status_code=status,
            latency_ms=latency,
            attempt=attempt,
            **extra,
        ),
    )
    return gave_up, attempts, status[first_row + attempts - 1]


def emit_heartbeats(ctx: DayContext) -> None:
    """Scheduled polls of every integration (so an outage shows as a run of failures even
    when no business traffic passes): OMS->ERP availability every 5 minutes, each
    marketplace's order feed every 10 minutes, each DC's WMS sync every 5 minutes."""
    world = ctx.world
    rng = ctx.rng("heartbeats")
    marketplaces = [f"MP{k + 1}" for k in range(ctx.config.marketplaces)]
    plan = (
        ("oms_erp_availability", 5 * MINUTE, "endpoint", ["availability"]),
        ("marketplace_orders", 10 * MINUTE, "marketplace", marketplaces),
        ("wms_sync", 5 * MINUTE, "site", list(world.location_ids[world.n_stores :])),
    )
    for integration, period, key, endpoints in plan:
        if not endpoints:
            continue
        ticks = ctx.start + np.arange(0, DAY, period)
        times = np.tile(ticks, len(endpoints)) + rng.integers(0, 30, len(ticks) * len(endpoints))
        target = np.repeat(np.array(endpoints), len(ticks))
        order = np.argsort(times, kind="stable")
        times, target = times[order], target[order]
        random_failure = (rng.random(len(times)) < HEARTBEAT_FAILURE_RATE).astype(np.int64)
        add_api_calls(ctx, rng, integration, times, 1, random_failure, **{key: target})
