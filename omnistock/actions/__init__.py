"""Actions: what Omnistock does about risk. Today the cycle-count requests.

- `request_counts.request_cycle_counts`: the use case, whole (the requests asset calls it).
- `request_store`: the request tables (`actions.*`), also the cooldown's one record.
- `outbox`: the JSON hand-off to store systems.

The rules (threshold, cooldown, SKU priorities) are ml's (`ml.count_policy`); nothing here
imports Dagster.
"""
