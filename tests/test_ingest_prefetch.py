"""The reading thread of ingestion: order, errors and early exits."""

from __future__ import annotations

import threading

import pytest

from omnistock.ingest.prefetch import prefetched


def test_items_arrive_in_order():
    assert list(prefetched(iter(range(50)), ahead=2)) == list(range(50))


def test_an_error_is_raised_where_it_happened():
    def items():
        yield 1
        yield 2
        raise ValueError("file 3 is unreadable")

    received = []
    with pytest.raises(ValueError, match="file 3"):
        for item in prefetched(items()):
            received.append(item)
    assert received == [1, 2]


def test_leaving_early_stops_the_worker():
    produced = []

    def items():
        for number in range(1_000):
            produced.append(number)
            yield number

    for item in prefetched(items(), ahead=1):
        if item == 3:
            break
    # the worker got at most `ahead` + 1 items past the last one taken, then stopped
    assert len(produced) <= 6
    assert not any(t.name == "ingest-prefetch" for t in threading.enumerate())
