"""A relay that dies without recording (the honest limit): SIGKILL or a lost database
connection mid-batch leaves messages sent whose outcome was never written. Nothing is lost —
the rows come back when the dead relay's claims lapse — and every row that may have gone out
twice is marked, so the repeats are detectable (the Bot API has no idempotency key, so they
cannot be avoided). With `tick_s` the window is one tick of outcomes."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from bot.delivery.relay import MAYBE_TWICE, RESUMED
from tests.bot import test_delivery as delivery
from tests.bot.test_delivery import N_ROWS, _bot_messages, _drain, _faulty, _relay, _rows, _setup

quiet_runtime = delivery.quiet_runtime  # the fixture: the bot without polling and without its relay


async def test_a_relay_that_dies_without_recording_loses_nothing_and_marks_its_repeats(
    app, sandbox, quiet_runtime, clock
):
    ids, numbers = await _setup(app, sandbox, quiet_runtime, clock)
    before = set(await _bot_messages(sandbox))
    _faulty(sandbox)
    doomed = _relay(app, quiet_runtime)
    task = asyncio.create_task(doomed.run())
    deadline = time.monotonic() + 40
    while sum(r.state == "sent" for r in await _rows(app, ids)) < 200:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)

    async def database_gone(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("database gone")

    async def progress_gone(steps: Any) -> bool:
        return False

    doomed._flush = database_gone  # from now on it records nothing, but goes on sending a while
    doomed.progress._commit = progress_gone  # not even the progress of each delivery
    sent_then = doomed.stats.sent
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    unrecorded = doomed.stats.sent - sent_then
    rows = await _rows(app, ids)
    stranded = [r.id for r in rows if r.state == "pending" and r.claimed_by == doomed.holder]
    assert stranded and unrecorded > 0  # the death really left sent-but-unrecorded rows

    relay = _relay(app, quiet_runtime)
    stop = asyncio.Event()
    restarted = asyncio.create_task(relay.run(stop))
    try:
        await _drain(app, clock, relay)  # the clock moves past the dead relay's claims
    finally:
        stop.set()
        relay.kick()
        await asyncio.wait_for(restarted, 30)

    rows = await _rows(app, ids)
    assert Counter(r.state for r in rows) == {"sent": N_ROWS}  # nothing lost
    marked = [r for r in rows if r.last_error == MAYBE_TWICE]
    # A stranded row whose message's progress was committed before the database went is not
    # sent again (RESUMED); every other one is delivered again and marked.
    resumed = {r.id for r in rows if r.last_error == RESUMED}
    assert {r.id for r in marked} | resumed == set(stranded) and relay.stats.lapsed >= len(stranded)
    new = {k: v for k, v in (await _bot_messages(sandbox)).items() if k not in before}
    recorded = {(r.chat_id, r.tg_message_id) for r in rows}
    assert len(recorded) == N_ROWS and recorded <= set(new)
    # Every message beyond one per row belongs to a marked row of the same case and chat.
    extra = Counter((chat, next(n for n in numbers.values() if n in text)) for (chat, _), text in new.items())
    expected = Counter((r.chat_id, numbers[r.case_id]) for r in rows)
    repeats = extra - expected
    allowed = Counter((r.chat_id, numbers[r.case_id]) for r in marked)
    assert not repeats - allowed, (repeats, allowed)
    print(
        f"\ndied: {unrecorded} sent unrecorded, {len(stranded)} rows stranded, {len(marked)} marked, "
        f"{sum(repeats.values())} sent twice; relay {relay.stats}"
    )
    assert sum(repeats.values()) <= len(stranded)
