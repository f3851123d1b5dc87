-- The data's "now": SPEC 5 measures open states (unreconciled events, stalled cases,
-- order lines still open) as of the latest occurred_at in the data, not the wall clock,
-- so a rebuild of the same data always gives the same answer.
select
    max(occurred_at) as as_of,
    max(occurred_date) as last_data_date
from {{ ref('stg_inventory_events') }}
