"""Take one attempt out of a counted budget, atomically: the one primitive behind every guess limit
(login codes, pickup codes, delivery proof codes, future voucher or member codes) and every
send budget (SMS).

A limit that is read, compared and then written lets N concurrent callers all read the same
count and all pass. Here the count only moves by one conditional UPDATE that refuses once the
limit is reached, so on PostgreSQL concurrent takers queue on the row lock and each re-checks
the condition against the committed count; on SQLite there is one writer. A taker that gets
`False` must not go on to compare a code or send a message.

Callers take the attempt *before* comparing the secret, so the right guess spends an attempt
too and a spent budget refuses even the right code.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

_NO_SYNC = {"synchronize_session": False}


async def take_attempt(
    session: AsyncSession,
    counter: InstrumentedAttribute,
    where: Iterable,
    *,
    limit: int,
    window_start: InstrumentedAttribute | None = None,
    window: timedelta | None = None,
    now: datetime | None = None,
) -> bool:
    """Add one to `counter` on the row(s) matching `where` if it is below `limit`; True if taken.

    `where` should select one row and may carry extra conditions that must hold for the attempt
    to count (say, the code is unconsumed and unexpired). With `window_start`/`window`/`now` the
    budget is a fixed window: a row whose window began `window` ago or longer (or never) starts a
    new window at `now` with this attempt as its first.
    """
    if limit <= 0:
        return False
    conditions = list(where)
    if window_start is None:
        statement = update(counter.class_).where(*conditions, counter < limit).values({counter.key: counter + 1})
    else:
        if window is None or now is None:
            raise ValueError("a windowed budget needs window and now")
        fresh = or_(window_start.is_(None), window_start <= now - window)
        statement = (
            update(counter.class_)
            .where(*conditions, or_(fresh, counter < limit))
            .values({counter.key: case((fresh, 1), else_=counter + 1), window_start.key: case((fresh, literal(now, window_start.type)), else_=window_start)})
        )
    result = await session.execute(statement, execution_options=_NO_SYNC)
    return result.rowcount == 1
