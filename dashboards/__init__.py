"""Planner dashboards over the published snapshot of the marts (never the live warehouse).

- `snapshot`: publish_snapshot / open_snapshot, the atomic, versioned Parquet snapshot;
  `derived`: what a publish adds (the changes since the previous version, the work done)
- `worklog`: the exception queue's append-only audit log (plain Python); `desk`: the work log
  and the active alerts beside the snapshots
- `app`: create_app / serve, the Dash app over the pages registered in `pages.PAGES`
- `pages/<page>/`: one package per page: its `queries`, `figures` and `layout`
- shared by the pages: `data` (the snapshot per request, the `needs` guard), `kpi_queries`
  (the one KPI aggregation), `theme` (palette, figure style, formats), `charts` (shared chart
  shapes), `components` (the page scaffold: header, cards, tables, tiles)
- `report`: write_report, one self-contained HTML file of the headline figures
- `screenshots`: refresh docs/screenshots/ with headless Chromium
"""
