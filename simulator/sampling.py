"""Times of day and durations, in seconds."""

from __future__ import annotations

import numpy as np

from .world import HOUR


def store_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight of store activity: 08:00-21:00, busiest in the afternoon."""
    return (8 * HOUR + 13 * HOUR * rng.beta(2.2, 2.0, n)).astype(np.int64)


def online_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight of online activity: mostly 07:00-23:00, some at night."""
    daytime = 7 * HOUR + 16 * HOUR * rng.beta(2.0, 1.8, n)
    anytime = rng.uniform(0, 24 * HOUR, n)
    return np.where(rng.random(n) < 0.85, daytime, anytime).astype(np.int64)


def office_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight of back-office and warehouse work: 07:00-18:00."""
    return rng.integers(7 * HOUR, 18 * HOUR, n)


def between(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """Uniform whole seconds in [low, high]."""
    return rng.integers(int(low), int(high) + 1, n)
