"""The cycle-count policy as deployed: threshold and cooldown from the environment
(`OMNISTOCK_RISK_THRESHOLD`, `OMNISTOCK_COOLDOWN_DAYS`). Read when an asset or sensor runs, so
the request asset, the sensor and the model evaluation always apply the same policy."""

import os

from ml.cycle_counts import CycleCountPolicy

DEFAULT_THRESHOLD = 0.9
DEFAULT_COOLDOWN_DAYS = 7.0


def cycle_count_policy() -> CycleCountPolicy:
    return CycleCountPolicy(
        risk_threshold=float(os.environ.get("OMNISTOCK_RISK_THRESHOLD", DEFAULT_THRESHOLD)),
        cooldown_days=float(os.environ.get("OMNISTOCK_COOLDOWN_DAYS", DEFAULT_COOLDOWN_DAYS)),
    )
