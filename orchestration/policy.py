"""The cycle-count policy as deployed: one Dagster resource (`policy`), so the requests
asset, the cycle-count sensor and the scoring (whose frozen count plan the model evaluation
judges) all apply the same `ml.count_policy.CycleCountPolicy`.

Threshold and cooldown come from the environment as `dg.EnvVar`s, resolved when a run or a
sensor evaluation starts: `OMNISTOCK_RISK_THRESHOLD` (default 0.9) and
`OMNISTOCK_COOLDOWN_DAYS` (default 7). Two facts of Dagster 1.13 shape the resource: an
EnvVar binds to str (or, with `EnvVar.int`, int) fields only, so these two settings are
strings, parsed by `policy()`; and a run whose EnvVar is unset fails rather than falling back
to the field's default, so `deployed_policy()` binds an EnvVar only for a variable that is
set when the code location loads, and an unset one keeps the default.
"""

from __future__ import annotations

import os

import dagster as dg

from ml.count_policy import DEFAULT_POLICY, CycleCountPolicy

# resource field -> the environment variable that sets it
POLICY_ENV_VARS = {
    "risk_threshold": "OMNISTOCK_RISK_THRESHOLD",
    "cooldown_days": "OMNISTOCK_COOLDOWN_DAYS",
}


def _number(field: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        source = POLICY_ENV_VARS.get(field, field)
        raise ValueError(f"{source} must be a number, got {text!r}") from None


class CycleCountPolicyResource(dg.ConfigurableResource):
    """Which locations get a cycle-count request and how many SKUs each lists."""

    risk_threshold: str = str(DEFAULT_POLICY.risk_threshold)
    """Risk score from which a location gets a request (a number; OMNISTOCK_RISK_THRESHOLD)."""
    cooldown_days: str = str(DEFAULT_POLICY.cooldown_days)
    """Days before the same location is requested again (a number; OMNISTOCK_COOLDOWN_DAYS)."""
    max_locations: int | None = DEFAULT_POLICY.max_locations
    """Requests per run at most, riskiest first; none = no cap."""
    max_skus_per_location: int = DEFAULT_POLICY.max_skus_per_location
    min_skus_per_location: int = DEFAULT_POLICY.min_skus_per_location
    min_inaccuracy_probability: float = DEFAULT_POLICY.min_inaccuracy_probability
    prior_counts: float = DEFAULT_POLICY.prior_counts

    def policy(self) -> CycleCountPolicy:
        return CycleCountPolicy(
            risk_threshold=_number("risk_threshold", self.risk_threshold),
            cooldown_days=_number("cooldown_days", self.cooldown_days),
            max_locations=self.max_locations,
            max_skus_per_location=self.max_skus_per_location,
            min_skus_per_location=self.min_skus_per_location,
            min_inaccuracy_probability=self.min_inaccuracy_probability,
            prior_counts=self.prior_counts,
        )


def deployed_policy() -> CycleCountPolicyResource:
    """The resource with an EnvVar for every policy variable the environment sets."""
    return CycleCountPolicyResource(
        **{field: dg.EnvVar(name) for field, name in POLICY_ENV_VARS.items() if name in os.environ}
    )
