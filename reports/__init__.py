"""Sales reports per store, per partner and for HQ, read from a per-store, per-local-day rollup.

* models: `report_store_day` (the rollup) and `report_fact` (which facts it has counted).
* rollup: the event listeners that keep the rollup current inside the order's transaction.
* facts: what counts, and on which day, read back from the order tables.
* rebuild: recompute the rollup from the order tables (CLI `qiandian reports-rebuild`).
* query: scope (grants on node paths), filters, grouping, ordering, keyset pages, totals.
* csv_export: the same rows as CSV text.
"""
