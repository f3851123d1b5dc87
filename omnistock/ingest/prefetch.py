"""Run a generator one step ahead in a background thread.

Ingestion reads the next batch of files (numpy and pyarrow, which release the GIL) while
DuckDB judges and writes the current one, so reading and writing overlap instead of taking
turns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(items: Iterable[T], ahead: int = 1) -> Iterator[T]:
    """Yield `items` in order while a worker thread produces up to `ahead` items in advance.
    An exception raised by `items` is raised here, at the position it occurred. Leaving the
    loop early (break, or an exception in the consumer) stops the worker after its current
    item."""
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(handoff, (item, None), stop):
                    return
            _put(handoff, (_DONE, None), stop)
        except BaseException as error:  # handed to the consumer, raised there
            _put(handoff, (_DONE, error), stop)

    worker = threading.Thread(target=produce, name="ingest-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = handoff.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _put(handoff: queue.Queue, entry: tuple, stop: threading.Event) -> bool:
    """Block until there is room (or the consumer has gone); False if it has gone."""
    while not stop.is_set():
        try:
            handoff.put(entry, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
