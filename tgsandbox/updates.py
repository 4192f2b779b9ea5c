"""The bot's pending updates: getUpdates long polling and webhook delivery read the same queue."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

# Telegram's default when allowed_updates was never given.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    def __init__(self, max_pending: int = 100000, first_id: int = 1) -> None:
        self.max_pending = max_pending
        self.pending: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.next_id = first_id
        self.allowed: list[str] | None = None
        self.dropped = 0
        self.delivered = 0
        self.pollers = 0  # getUpdates calls waiting right now
        self.closed = False  # the server is shutting down: long polls end at once
        self.generation = 0  # bumped by each getUpdates; an older waiter then gets 409
        self._changed = asyncio.Event()

    def accepts(self, kind: str) -> bool:
        if self.allowed is None or not self.allowed:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if not self.accepts(kind):
            return None
        update = {"update_id": self.next_id, kind: payload}
        self.pending[self.next_id] = update
        self.next_id += 1
        while len(self.pending) > self.max_pending:
            self.pending.popitem(last=False)
            self.dropped += 1
        self._wake()
        return update

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset`` (getUpdates semantics, negative counts from the end)."""
        if offset < 0:
            keep = -offset
            while len(self.pending) > keep:
                self.pending.popitem(last=False)
            return
        while self.pending:
            first = next(iter(self.pending))
            if first >= offset:
                break
            del self.pending[first]
            self.delivered += 1

    def remove(self, update_id: int) -> None:
        if self.pending.pop(update_id, None) is not None:
            self.delivered += 1

    def take(self, limit: int) -> list[dict[str, Any]]:
        out = []
        for update in self.pending.values():
            out.append(update)
            if len(out) >= limit:
                break
        return out

    @property
    def changed(self) -> asyncio.Event:
        """Set at the next change (push, clear, interrupt)."""
        return self._changed

    async def wait_changed(self, timeout: float) -> None:
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

    def interrupt(self) -> None:
        """Wake every waiter (a new getUpdates call or a webhook change)."""
        self._wake()

    def clear(self) -> None:
        self.pending.clear()
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()


@dataclass
class WebhookSettings:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self, queue: UpdateQueue) -> dict[str, Any]:
        data: dict[str, Any] = {"url": self.url, "has_custom_certificate": False,
                                "pending_update_count": len(queue.pending),
                                "max_connections": self.max_connections}
        if queue.allowed:
            data["allowed_updates"] = list(queue.allowed)
        if self.last_error_date:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data
