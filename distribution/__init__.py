"""Distribution: salespeople (store employees, outside distributors, community leaders), their
invites and upline, customer attribution by signed share links, and commission held on the
shared double-entry ledger (ledger/) in integer fen.

Commission is a set of listeners on order events (distribution.listeners, wired from
events.wiring): accrued PENDING when an order is paid, given a settle date when it completes,
reversed when it is refunded. A job (distribution.commission.settle_due) moves due pending
money to WITHDRAWABLE; withdrawals (distribution.withdrawals) take it out through a payout
provider after approval. Nothing here imports strawberry.
"""
