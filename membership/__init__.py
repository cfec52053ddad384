"""Membership: members and levels, member prices, points (expiring lots on the shared ledger)
and stored value (principal and bonus on the shared ledger), online and at the store counter.
Never imports strawberry."""
