"""Claims are exclusive: relays that claim the outbox at the same moment never get
the same row, on PostgreSQL (FOR UPDATE SKIP LOCKED) and on SQLite (no SKIP LOCKED, no shared
lock between processes: the claiming UPDATE itself must re-check that the row is still due)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import select

from dispatch.db import outbox
from dispatch.db.orm import OutboxRow
from dispatch.db.outbox import Outcome
from tests.bot.test_delivery import _notices

N_ROWS = 600
CLAIMERS = 6


async def _queue(app: Any, n: int) -> list[int]:
    return await _notices(app, [None], n, app.clock.now())


async def test_concurrent_claims_never_hand_out_a_row_twice(app: Any) -> None:
    """Several claimers without any in-process lock, each recording its rows as sent right
    away (so a row can be claimed, finished and free of its claim again while another claimer
    is between reading and updating)."""
    ids = await _queue(app, N_ROWS)
    taken: Counter[int] = Counter()
    now = app.clock.now()

    async def claimer(k: int) -> int:
        batches = 0
        while True:
            async with app.uow() as uow:
                rows = await outbox.claim(uow, f"claimer-{k}", now, 7)
                if not rows:
                    return batches
                batches += 1
                taken.update(r.id for r in rows)
                await asyncio.sleep(0)
                await outbox.record(uow, [Outcome(r.id, "sent", message_id=r.id) for r in rows], now)
                await uow.commit()

    batches = await asyncio.gather(*(claimer(k) for k in range(CLAIMERS)))
    twice = sorted(i for i, n in taken.items() if n > 1)
    assert not twice, f"claimed more than once: {twice[:20]} ({len(twice)})"
    assert set(taken) == set(ids)
    assert sum(1 for b in batches if b) >= 2  # they really ran side by side
    async with app.uow() as uow:
        states = Counter(
            (await uow.session.scalars(select(OutboxRow.state).where(OutboxRow.id.in_(ids)))).all()
        )
    assert states == {"sent": N_ROWS}
