"""Inbound sync from store systems (POS, ERP): bulk stock and price batches per store.

A batch is one transaction, one idempotency key, and a result per row. Rows are applied with
one SQL statement per chunk (not a round trip per row); absolute counts and prices carry a
version so an older update never overwrites a newer one; deltas (in-store sales, receipts) move
the same stock row online orders reserve, under the same conditional-UPDATE rule. Never imports
strawberry.
"""
