"""Proof that the ledger holds: every transaction sums to zero and every account's cached
balance equals the sum of its entries. Cheap enough for a nightly job and for every test."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction


@dataclass(frozen=True)
class LedgerReport:
    unbalanced_transactions: list[int]
    drifted_accounts: list[int]  # balance_fen != sum(entries)
    negative_accounts: list[int]  # a non-negative account below zero (the CHECK should make this impossible)

    @property
    def ok(self) -> bool:
        return not (self.unbalanced_transactions or self.drifted_accounts or self.negative_accounts)


async def verify(session: AsyncSession, tenant_id: int) -> LedgerReport:
    unbalanced = (
        await session.scalars(
            select(LedgerEntry.transaction_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerTransaction.tenant_id == tenant_id)
            .group_by(LedgerEntry.transaction_id)
            .having(func.sum(LedgerEntry.amount_fen) != 0)
        )
    ).all()
    sums = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_fen).label("total"))
        .group_by(LedgerEntry.account_id)
        .subquery()
    )
    drifted = (
        await session.scalars(
            select(LedgerAccount.id)
            .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
            .where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.balance_fen != func.coalesce(sums.c.total, 0))
        )
    ).all()
    negative = (
        await session.scalars(
            select(LedgerAccount.id).where(
                LedgerAccount.tenant_id == tenant_id, LedgerAccount.allow_negative.is_(False), LedgerAccount.balance_fen < 0
            )
        )
    ).all()
    return LedgerReport(list(unbalanced), list(drifted), list(negative))
