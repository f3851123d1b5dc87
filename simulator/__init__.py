"""Omnistock's retailer simulator: the source systems of a multi-brand omnichannel retailer.

It writes landing files (SPEC 4) with planted faults and a ground truth (SPEC 2, 7), and
answers the platform's cycle-count requests. It knows nothing of the platform itself.

    from simulator import get_scenario, simulate, respond_to_outbox
    summary = simulate(get_scenario("tiny", seed=7), "landing")
"""

from .config import SCENARIOS, ScenarioConfig, get_scenario
from .engine import SimulationSummary, simulate
from .outbox import respond_to_outbox

__all__ = [
    "SCENARIOS",
    "ScenarioConfig",
    "SimulationSummary",
    "get_scenario",
    "respond_to_outbox",
    "simulate",
]
