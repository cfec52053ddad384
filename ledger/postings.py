"""Posting to the ledger: accounts opened on first use, balanced transactions, reversals.

Every balance move is one conditional UPDATE (`balance_fen + amount >= 0` unless the account
may go negative), the pattern of commerce/stock.py: on PostgreSQL a waiting UPDATE re-reads the
newest row version, so fifty concurrent payments from one account can never overdraw it; on
SQLite the write lock serialises them. Legs are applied in account-id order so two transactions
touching the same pair of accounts lock them in the same order (no deadlock).

A posting is idempotent on (tenant, idempotency_key): a retry with the same legs returns the
first transaction; with different legs it is an IdempotencyConflict. Callers that may retry
after a refusal (InsufficientFunds) should post inside `session.begin_nested()` or roll back.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from ledger.errors import IdempotencyConflict, InsufficientFunds, UnbalancedTransaction
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction

_NO_SYNC = {"synchronize_session": False}
MAX_LEGS = 64


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount_fen: int  # positive raises the account's balance, negative lowers it


async def account(
    session: AsyncSession,
    tenant_id: int,
    kind: str,
    owner_type: str,
    owner_id: int,
    *,
    currency: str = "CNY",
    allow_negative: bool = False,
) -> int:
    """The id of the owner's account of this kind, opened if it does not exist (race-safe:
    INSERT .. ON CONFLICT DO NOTHING, then read)."""
    key = (
        LedgerAccount.tenant_id == tenant_id,
        LedgerAccount.kind == kind,
        LedgerAccount.owner_type == owner_type,
        LedgerAccount.owner_id == owner_id,
        LedgerAccount.currency == currency,
    )
    found = await session.scalar(select(LedgerAccount.id).where(*key))
    if found is not None:
        return found
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(LedgerAccount)
        .values(
            tenant_id=tenant_id, kind=kind, owner_type=owner_type, owner_id=owner_id, currency=currency,
            allow_negative=allow_negative, balance_fen=0, created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "owner_type", "owner_id", "currency"])
    )
    return await session.scalar(select(LedgerAccount.id).where(*key))


async def balance(session: AsyncSession, account_id: int) -> int:
    return await session.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.id == account_id)) or 0


def _netted(legs: list[Leg]) -> dict[int, int]:
    if not legs or len(legs) > MAX_LEGS:
        raise UnbalancedTransaction(f"a transaction needs 1..{MAX_LEGS} legs, got {len(legs)}")
    net: dict[int, int] = defaultdict(int)
    for leg in legs:
        if type(leg.amount_fen) is not int:  # bool and float are refused: money is integer fen
            raise UnbalancedTransaction(f"amount must be an int of fen, got {leg.amount_fen!r}")
        net[leg.account_id] += leg.amount_fen
    if sum(net.values()) != 0:
        raise UnbalancedTransaction(f"legs sum to {sum(net.values())} fen, not 0")
    return {account_id: amount for account_id, amount in net.items() if amount != 0}


async def post(
    session: AsyncSession,
    tenant_id: int,
    kind: str,
    legs: list[Leg],
    *,
    idempotency_key: str,
    reference: tuple[str, int] | None = None,
    memo: str = "",
    actor: tuple[str, int | None] = ("system", None),
    now: datetime | None = None,
    reverses_id: int | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction and move the balances. Raises InsufficientFunds (nothing
    useful written: roll back or use a savepoint), UnbalancedTransaction, IdempotencyConflict."""
    net = _netted(legs)
    existing = await session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.tenant_id == tenant_id, LedgerTransaction.idempotency_key == idempotency_key)
    )
    if existing is not None:
        before = {
            row.account_id: row.amount_fen
            for row in (await session.execute(select(LedgerEntry).where(LedgerEntry.transaction_id == existing.id))).scalars()
        }
        if before != net or existing.kind != kind:
            raise IdempotencyConflict(f"idempotency key {idempotency_key!r} was used for another posting")
        return existing
    owned = set(
        await session.scalars(select(LedgerAccount.id).where(LedgerAccount.id.in_(net), LedgerAccount.tenant_id == tenant_id))
    )
    if owned != set(net):
        raise UnbalancedTransaction("every leg's account must belong to the tenant")
    now = now or utc_now()
    tx = LedgerTransaction(
        tenant_id=tenant_id, kind=kind, idempotency_key=idempotency_key,
        reference_type=reference[0] if reference else None, reference_id=reference[1] if reference else None,
        memo=memo[:500], actor_type=actor[0], actor_id=actor[1], created_at=now, reverses_id=reverses_id,
    )
    session.add(tx)
    await session.flush()
    for account_id in sorted(net):
        amount = net[account_id]
        result = await session.execute(
            update(LedgerAccount)
            .where(
                LedgerAccount.id == account_id,
                or_(LedgerAccount.allow_negative, LedgerAccount.balance_fen + amount >= 0),
            )
            .values(balance_fen=LedgerAccount.balance_fen + amount)
            .returning(LedgerAccount.balance_fen),
            execution_options=_NO_SYNC,
        )
        after = result.scalar_one_or_none()
        if after is None:
            raise InsufficientFunds(account_id, amount)
        session.add(LedgerEntry(transaction_id=tx.id, account_id=account_id, amount_fen=amount, balance_after_fen=after, created_at=now))
    await session.flush()
    return tx


async def reverse(
    session: AsyncSession,
    tenant_id: int,
    transaction_id: int,
    *,
    idempotency_key: str,
    memo: str = "",
    actor: tuple[str, int | None] = ("system", None),
    now: datetime | None = None,
) -> LedgerTransaction:
    """A new transaction with every leg of `transaction_id` negated. A transaction is reversed at
    most once (unique reverses_id); partial reversals are ordinary postings by the caller."""
    original = await session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.id == transaction_id, LedgerTransaction.tenant_id == tenant_id)
    )
    if original is None:
        raise UnbalancedTransaction(f"no transaction {transaction_id}")
    rows = (await session.execute(select(LedgerEntry).where(LedgerEntry.transaction_id == transaction_id))).scalars().all()
    return await post(
        session, tenant_id, original.kind + ".reversal", [Leg(r.account_id, -r.amount_fen) for r in rows],
        idempotency_key=idempotency_key, reference=(original.reference_type, original.reference_id) if original.reference_type else None,
        memo=memo or f"reversal of {transaction_id}", actor=actor, now=now, reverses_id=transaction_id,
    )
