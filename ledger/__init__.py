"""A double-entry ledger in integer fen, shared by every domain that holds or moves money
between parties (stored value, vouchers, commission, courier fees).

- An account belongs to one owner (a member, a store, a salesperson, the brand) and has a
  `kind` naming what it holds ("stored_value.principal", "voucher.liability", ...).
- A transaction is a set of legs whose amounts sum to zero; entries are immutable and a
  reversal is a new transaction (ledger.postings.reverse).
- `account.balance_fen` is a cache of the sum of its entries, moved by one conditional UPDATE
  per leg in the same transaction as the entries; an account that may not go negative refuses
  the UPDATE (InsufficientFunds) rather than being read, checked and written.
  ledger.checks.verify proves the cache equals the sums and every transaction balances.

Positive amounts raise an account's balance, negative ones lower it. Domain code never imports
strawberry; callers own the database transaction (no commit here).
"""
from ledger.errors import InsufficientFunds, LedgerError, UnbalancedTransaction
from ledger.postings import Leg, account, balance, post, reverse

__all__ = ["InsufficientFunds", "LedgerError", "UnbalancedTransaction", "Leg", "account", "balance", "post", "reverse"]
