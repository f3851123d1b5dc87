"""The cycle-count requests as the cycle-count job writes them (omnistock/tables.py declares
the tables): why each was asked, its SKUs in priority order, its status and results."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, at_locations, needs
from dashboards.filters import Filters
from omnistock.tables import CYCLE_COUNT_REQUEST_LINES, CYCLE_COUNT_REQUESTS


@needs(CYCLE_COUNT_REQUESTS, CYCLE_COUNT_REQUEST_LINES)
def cycle_count_requests(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """The requests, newest first: request_id, location_id, requested_at, status, reason,
    expected_discrepancy_value, requested_skus (priority order) and the results the job
    records once counts come back (null until then): counted_at, skus_counted,
    skus_inaccurate, value_corrected (value at cost)."""
    return data.select(
        """
        select requests.request_id, requests.location_id, requests.requested_at,
            requests.status, requests.reason, requests.expected_discrepancy_value,
            coalesce(
                (select list(line.sku order by line.priority, line.sku)
                 from cycle_count_request_lines as line
                 where line.request_id = requests.request_id),
                []::varchar[]
            ) as requested_skus,
            requests.counted_at, requests.skus_counted, requests.skus_inaccurate,
            requests.value_corrected
        from cycle_count_requests as requests {where}
        order by requested_at desc, request_id
        """,
        at_locations(filters, column="requests.location_id"),
    )
