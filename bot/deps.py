"""What handlers get by keyword through the Dispatcher: the app, commands, people, NLU.

`Commands` is the one way a handler changes anything: it runs the dispatch service's
commands (one transaction each), serialises writers on SQLite, and wakes the relay."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from dispatch.domain.case import Actor, Case, Rating
from dispatch.domain.members import Member, Role
from dispatch.service import membership
from dispatch.service.app import App
from dispatch.service.cases import AlsoInTransaction, CaseService, ReportDraft
from dispatch.service.ports import Classifier

__all__ = ["Classifier", "Commands", "Debouncer", "People", "WriteGate"]

T = TypeVar("T")


class WriteGate:
    """SQLite has one writer at a time: queue writers here instead of in SQLite's busy loop
    (which sleeps up to 100 ms per try). A no-op on PostgreSQL."""

    def __init__(self, serialise: bool) -> None:
        self._lock = asyncio.Lock() if serialise else None

    @classmethod
    def for_url(cls, url: str) -> WriteGate:
        return cls(url.startswith("sqlite"))

    def __call__(self) -> AbstractAsyncContextManager[Any]:
        return self._lock if self._lock is not None else nullcontext()


class Debouncer:
    """Run a callback once things go quiet: an album arrives as several updates, and the
    person should get one answer with the final photo count."""

    def __init__(self, delay: float = 0.5) -> None:
        self.delay = delay
        self._tasks: dict[Any, asyncio.Task[None]] = {}

    def call_later(self, key: Any, fn: Callable[[], Awaitable[Any]]) -> None:
        old = self._tasks.pop(key, None)
        if old is not None:
            old.cancel()
        self._tasks[key] = asyncio.create_task(self._run(key, fn))

    async def _run(self, key: Any, fn: Callable[[], Awaitable[Any]]) -> None:
        await asyncio.sleep(self.delay)
        if self._tasks.get(key) is asyncio.current_task():
            del self._tasks[key]
        try:
            await fn()
        except Exception:
            logging.getLogger("bot").exception("delayed reply failed")

    async def close(self) -> None:
        for t in self._tasks.values():
            t.cancel()
        self._tasks.clear()


class People:
    """Members by Telegram id, cached briefly (roles change rarely; this process forgets
    whom it changes itself)."""

    def __init__(self, app: App, ttl: float = 30.0) -> None:
        self.app = app
        self.ttl = ttl
        self._cache: dict[int, tuple[float, Member | None]] = {}

    async def get(self, tg_id: int) -> Member | None:
        hit = self._cache.get(tg_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        async with self.app.uow() as uow:
            member = await uow.members.by_tg(tg_id)
        self._cache[tg_id] = (now, member)
        return member

    def forget(self, tg_id: int) -> None:
        self._cache.pop(tg_id, None)

    def remember(self, member: Member) -> None:
        if member.tg_id is not None:
            self._cache[member.tg_id] = (time.monotonic(), member)


@dataclass
class Commands:
    app: App
    gate: WriteGate
    people: People
    wake_relay: Callable[[], None] = lambda: None
    channel: str = "telegram"
    tz: tzinfo = field(init=False)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.app.settings.timezone)

    async def _run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        async with self.gate():
            result = await fn(*args, **kwargs)
        self.wake_relay()
        return result

    @property
    def _svc(self) -> CaseService:
        return self.app.service

    # -- who: the one place a Telegram user becomes a member ------------------------------------
    async def member_of(self, tg_id: int, name: str = "") -> Member:
        """The member behind a Telegram user (registered as a resident on first contact)."""
        member = await self.people.get(tg_id)
        if member is None:
            async with self.gate():
                member = await self._svc.telegram_member(tg_id, name)
            self.people.remember(member)
        return member

    async def actor(self, tg_id: int, role: Role) -> Actor:
        member = await self.member_of(tg_id)
        return Actor(member.id, role.value, self.channel)

    # -- the case commands -------------------------------------------------------------------------
    async def submit(self, draft: ReportDraft, also: AlsoInTransaction | None = None) -> Case:
        draft.channel = self.channel
        return await self._run(self._svc.submit_report, draft, also)

    async def accept(self, case_id: int, tg_id: int) -> Case:
        return await self._run(self._svc.accept, case_id, await self.actor(tg_id, Role.UNIT_MEMBER))

    async def return_case(self, case_id: int, tg_id: int, reason: str) -> Case:
        actor = await self.actor(tg_id, Role.UNIT_MEMBER)
        return await self._run(self._svc.return_case, case_id, actor, reason)

    async def resolve(self, case_id: int, tg_id: int, note: str, photos: list[str]) -> Case:
        actor = await self.actor(tg_id, Role.UNIT_MEMBER)
        return await self._run(self._svc.resolve, case_id, actor, note, photos)

    async def verify(self, case_id: int, tg_id: int, passed: bool, note: str = "") -> Case:
        actor = await self.actor(tg_id, Role.GRID_WORKER)
        return await self._run(self._svc.verify, case_id, actor, passed, note)

    async def rate(
        self,
        case_id: int,
        tg_id: int,
        rating: Rating,
        rating_round: int | None = None,
        *,
        solved: bool | None = None,
        reason: str = "",
    ) -> Case:
        actor = await self.actor(tg_id, Role.RESIDENT)
        return await self._run(
            self._svc.rate, case_id, actor, rating, rating_round, solved=solved, reason=reason
        )

    async def follow(self, case_id: int, tg_id: int) -> Case:
        return await self._run(self._svc.follow, case_id, await self.actor(tg_id, Role.RESIDENT))

    async def reassign(self, case_id: int, tg_id: int, unit_id: str, note: str) -> Case:
        actor = await self.actor(tg_id, Role.DISPATCHER)
        return await self._run(self._svc.reassign, case_id, actor, unit_id, note)

    # -- membership (not case commands, same discipline) ---------------------------------------
    async def redeem_invite(self, code: str, tg_id: int, name: str) -> membership.Redeemed:
        async with self.gate():
            result = await membership.redeem_invite(self.app.uow(), code, tg_id, name, self.app.clock.now())
        self.people.forget(tg_id)
        return result

    async def bind_group(
        self, code: str, chat_id: int, tg_id: int, title: str | None = None
    ) -> membership.Redeemed:
        async with self.gate():
            result = await membership.bind_group(
                self.app.uow(), code, chat_id, tg_id, self.app.clock.now(), title
            )
        await self.app.reload()
        self.wake_relay()  # a move (asked or done) tells the unit's old group
        return result

    async def migrate_chat(self, old: int, new: int) -> int:
        async with self.gate():
            n = await membership.migrate_chat(self.app.uow(), old, new, self.app.clock.now())
        await self.app.reload()
        return n

    async def set_blocked(self, tg_id: int, blocked: bool) -> None:
        async with self.gate():
            changed = await membership.set_blocked(self.app.uow(), tg_id, blocked, self.app.clock.now())
        if changed:
            self.people.forget(tg_id)
