"""Typed ledger errors; callers turn them into their own GraphQL error codes."""
from __future__ import annotations


class LedgerError(Exception):
    code = "LEDGER_ERROR"


class UnbalancedTransaction(LedgerError):
    """The legs do not sum to zero, an amount is not an int, or a transaction has no legs."""

    code = "UNBALANCED_TRANSACTION"


class InsufficientFunds(LedgerError):
    """A leg would take a non-negative account below zero. Nothing of the transaction was written
    (the caller's transaction should be rolled back, or the posting was made inside a savepoint)."""

    code = "INSUFFICIENT_FUNDS"

    def __init__(self, account_id: int, amount_fen: int):
        super().__init__(f"account {account_id} cannot take {amount_fen} fen")
        self.account_id = account_id
        self.amount_fen = amount_fen


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different set of legs."""

    code = "IDEMPOTENCY_CONFLICT"
