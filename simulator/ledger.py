"""Book and hidden true stock per sku-location, with stock moves scheduled ahead.

A workflow generated today may move stock days later (a fulfilment, a receipt). Moves are
scheduled with their business time and applied when the day they occur closes, so the book at
any midnight equals the opening snapshot plus every stock-moving event that occurred before it:
exactly what the platform can rebuild from the events. Decisions made today already count the
scheduled outflows (`available_*`), so two workflows never take the same physical unit.
"""

from __future__ import annotations

import numpy as np


class StockLedger:
    def __init__(self, book: np.ndarray, true: np.ndarray):
        self.book = np.asarray(book, dtype=np.int64).copy()
        self.true = np.asarray(true, dtype=np.int64).copy()
        size = len(self.book)
        self._pending_out_book = np.zeros(size, dtype=np.int64)
        self._pending_in_book = np.zeros(size, dtype=np.int64)
        self._pending_out_true = np.zeros(size, dtype=np.int64)
        self._cells = np.zeros(0, dtype=np.int64)
        self._times = np.zeros(0, dtype=np.int64)
        self._d_book = np.zeros(0, dtype=np.int64)
        self._d_true = np.zeros(0, dtype=np.int64)
        self._chunks: list[tuple[np.ndarray, ...]] = []

    def schedule(self, cells, times, d_book, d_true) -> None:
        """Record stock moves at their business time; they apply when that day closes."""
        n = len(cells)
        if n == 0:
            return
        chunk = tuple(
            np.broadcast_to(np.asarray(values, dtype=np.int64), (n,)).copy()
            for values in (cells, times, d_book, d_true)
        )
        self._chunks.append(chunk)
        self._track_pending(*chunk, sign=1)

    def available_true(self) -> np.ndarray:
        """Physical units not yet promised to a scheduled outflow."""
        return self.true + self._pending_out_true

    def available_book(self) -> np.ndarray:
        """Book units not yet promised (what an availability check sees)."""
        return self.book + self._pending_out_book

    def position(self) -> np.ndarray:
        """Inventory position for replenishment: book plus everything scheduled."""
        return self.book + self._pending_out_book + self._pending_in_book

    def moves_before(self, moment: int) -> tuple[np.ndarray, ...]:
        """(cells, times, d_book, d_true) of the scheduled moves occurring before `moment`."""
        self._consolidate()
        due = self._times < moment
        return self._cells[due], self._times[due], self._d_book[due], self._d_true[due]

    def close_day(self, day_end: int) -> None:
        """Apply every scheduled move occurring before `day_end`."""
        self._consolidate()
        due = self._times < day_end
        cells, d_book, d_true = self._cells[due], self._d_book[due], self._d_true[due]
        self.book += self._sum_per_cell(cells, d_book)
        self.true += self._sum_per_cell(cells, d_true)
        self._track_pending(cells, None, d_book, d_true, sign=-1)
        keep = ~due
        self._cells, self._times = self._cells[keep], self._times[keep]
        self._d_book, self._d_true = self._d_book[keep], self._d_true[keep]

    def _consolidate(self) -> None:
        if self._chunks:
            parts = list(zip(*self._chunks, strict=True))
            self._cells = np.concatenate([self._cells, *parts[0]])
            self._times = np.concatenate([self._times, *parts[1]])
            self._d_book = np.concatenate([self._d_book, *parts[2]])
            self._d_true = np.concatenate([self._d_true, *parts[3]])
            self._chunks = []

    def _sum_per_cell(self, cells: np.ndarray, values: np.ndarray) -> np.ndarray:
        totals = np.bincount(cells, weights=values, minlength=len(self.book))
        return np.rint(totals).astype(np.int64)

    def _track_pending(self, cells, _times, d_book, d_true, sign: int) -> None:
        # add.at touches only the cells moved (a full-length bincount per call would not).
        np.add.at(self._pending_out_book, cells, sign * np.minimum(d_book, 0))
        np.add.at(self._pending_in_book, cells, sign * np.maximum(d_book, 0))
        np.add.at(self._pending_out_true, cells, sign * np.minimum(d_true, 0))


def fill_in_order(cells, quantity, times, available) -> np.ndarray:
    """Units each request gets when requests draw on `available[cell]` in time order.

    Partial fills are allowed; a request that finds the cell empty gets 0.
    """
    cells = np.asarray(cells, dtype=np.int64)
    quantity = np.asarray(quantity, dtype=np.int64)
    n = len(cells)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(n), np.asarray(times), cells))
    c, q = cells[order], quantity[order]
    cumulative = np.cumsum(q)
    group_start = np.r_[True, c[1:] != c[:-1]]
    first = np.maximum.accumulate(np.where(group_start, np.arange(n), 0))
    taken_before = cumulative - q - (cumulative[first] - q[first])
    filled_sorted = np.clip(available[c] - taken_before, 0, q)
    filled = np.empty(n, dtype=np.int64)
    filled[order] = filled_sorted
    return filled
