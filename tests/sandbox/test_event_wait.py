"""A long poll on the event log that is cancelled stays cancelled, also when its event came in
the same moment (a resident of the load proof stopped with Ctrl+C must stop, not poll on)."""

from __future__ import annotations

import asyncio

import pytest

from tgsandbox.events import EventLog, chat_key


async def test_a_cancelled_wait_stays_cancelled_when_its_event_arrives_at_once() -> None:
    log = EventLog()
    key = chat_key(7)
    waiter = asyncio.create_task(log.wait(0, [key], 10.0))
    await asyncio.sleep(0)  # the waiter is parked on its future
    log.emit([key], {"type": "message"})  # wakes it …
    waiter.cancel()  # … and the cancellation comes in the same turn
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_a_wait_returns_the_event_or_nothing_at_its_timeout() -> None:
    log = EventLog()
    key = chat_key(7)
    assert await log.wait(0, [key], 0.05) == ([], False)
    later = asyncio.get_running_loop().call_later(0.02, log.emit, [key], {"type": "message"})
    events, lost = await log.wait(0, [key], 5.0)
    later.cancel()
    assert [e["type"] for e in events] == ["message"] and not lost
