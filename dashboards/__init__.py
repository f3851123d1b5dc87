"""Planner dashboards over the published snapshot of the marts (never the live warehouse).

- `snapshot`: publish_snapshot / open_snapshot, the atomic, versioned Parquet snapshot
- `app`: create_app / serve, the Dash app; one module per page in `pages/`
- `queries` (SQL with bound filter values) → `figures` (pure plotly builders)
- `report`: write_report, one self-contained HTML file of the headline figures
- `screenshots`: refresh docs/screenshots/ with headless Chromium
"""
