"""What the web page and the test driver watch: a bounded, sequenced log of chat events.

Every event carries the keys of who may see it (``c:<chat id>``, ``u:<user id>``); a long
poll waits only on its own keys, so a hundred simulated residents do not wake each other.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterable
from typing import Any

Event = dict[str, Any]
ALL = "*"  # an event with this key is seen by every viewer


def chat_key(chat_id: int) -> str:
    return f"c:{chat_id}"


def user_key(user_id: int) -> str:
    return f"u:{user_id}"


class EventLog:
    def __init__(self, maxlen: int = 20000) -> None:
        self._events: deque[tuple[int, frozenset[str], Event]] = deque(maxlen=maxlen)
        self.seq = 0
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self.closed = False

    def emit(self, keys: Iterable[str], event: Event) -> int:
        self.seq += 1
        event["seq"] = self.seq
        keyset = frozenset(keys)
        self._events.append((self.seq, keyset, event))
        wake = list(self._waiters) if ALL in keyset else itertools.chain(keyset, (ALL,))
        for key in wake:
            for fut in self._waiters.pop(key, ()):
                if not fut.done():
                    fut.set_result(None)
        return self.seq

    def since(self, seq: int, keys: Iterable[str] | None = None) -> tuple[list[Event], bool]:
        """Events after ``seq`` visible to ``keys`` (all if None); True if some were lost."""
        if not self._events or seq >= self.seq:
            return [], False
        first = self._events[0][0]
        lost = seq + 1 < first
        newer = self.seq - max(seq, first - 1)  # read from the right end: O(new events)
        wanted = None if keys is None else frozenset(keys)
        out = [ev for s, k, ev in itertools.islice(reversed(self._events), newer)
               if wanted is None or k & wanted or ALL in k]
        out.reverse()
        return out, lost

    async def wait(self, seq: int, keys: Iterable[str] | None, timeout: float
                   ) -> tuple[list[Event], bool]:
        keylist = [ALL] if keys is None else list(keys)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            events, lost = self.since(seq, None if keys is None else keylist)
            if events or lost:
                return events, lost
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closed:
                return [], False
            fut: asyncio.Future[None] = loop.create_future()
            for key in keylist:
                self._waiters.setdefault(key, set()).add(fut)
            try:
                # Not wait_for: on Python 3.11 it swallows a cancellation that arrives as the
                # future completes, and a long-poller cancelled then keeps on polling.
                await asyncio.wait([fut], timeout=remaining)
            finally:
                for key in keylist:
                    waiters = self._waiters.get(key)
                    if waiters is not None:
                        waiters.discard(fut)
                        if not waiters:
                            self._waiters.pop(key, None)

    def clear(self) -> None:
        self._events.clear()

    def close(self) -> None:
        """End every long poll now (server shutdown)."""
        self.closed = True
        for waiters in self._waiters.values():
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)
        self._waiters.clear()
