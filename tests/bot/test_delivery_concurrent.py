"""Two relays at once: 1,000 notifications through the faulty sandbox Bot API, two
relays claiming from the same outbox — on PostgreSQL with `FOR UPDATE SKIP LOCKED`, on SQLite
with the atomic claiming UPDATE. Each relay has its own holder, its own rate limiter and (on
SQLite) its own write gate, as two processes would. Every notification arrives exactly once,
and both relays do a share of the work."""

from __future__ import annotations

import asyncio
import time

from bot.deps import WriteGate
from tests.bot import test_delivery as delivery
from tests.bot.test_delivery import N_ROWS, _bot_messages, _check_exactly_once, _faulty, _relay, _rows, _setup

quiet_runtime = delivery.quiet_runtime  # the fixture: the bot without polling and without its relay


async def test_two_relays_at_once_deliver_each_notification_exactly_once(app, sandbox, quiet_runtime, clock):
    ids, numbers = await _setup(app, sandbox, quiet_runtime, clock)
    before = set(await _bot_messages(sandbox))
    _faulty(sandbox)
    url = app.settings.effective_database_url
    relays = [_relay(app, quiet_runtime, gate=WriteGate.for_url(url)) for _ in range(2)]
    assert relays[0].holder != relays[1].holder
    stop = asyncio.Event()
    started = time.monotonic()
    tasks = [asyncio.create_task(r.run(stop)) for r in relays]
    try:
        deadline = time.monotonic() + 90
        while any(r.state == "pending" for r in await _rows(app, ids)):
            assert time.monotonic() < deadline, "the outbox did not drain"
            assert not any(t.done() for t in tasks), [t.exception() for t in tasks if t.done()]
            await asyncio.sleep(0.1)
            clock.advance(seconds=15)  # backoffs come due; live claims are renewed meanwhile
            for r in relays:
                r.kick()
    finally:
        stop.set()
        for r in relays:
            r.kick()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    elapsed = time.monotonic() - started
    result = await _check_exactly_once(app, sandbox, ids, numbers, before)
    shares = [r.stats.sent for r in relays]
    faults = sandbox.api.faults.snapshot()["stats"]
    print(f"\ntwo relays: {result}, sent per relay {shares}, {elapsed:.1f}s, faults {faults}")
    print("\n".join(f"  {r.holder}: {r.stats}" for r in relays))
    assert sum(shares) == N_ROWS  # no relay sent a row the other had sent
    assert min(shares) >= N_ROWS // 10  # both did a real share of the work
    assert all(r.stats.lost == 0 and r.stats.lapsed == 0 for r in relays)  # no claim ever lapsed
