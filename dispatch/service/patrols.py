"""Patrol commands: start, each live-location update, end, 巡查无异常 — and the scheduler's
look at open patrols (stale locations, maximum duration, the live period's end), the track
retention and the grid leaders' morning message.

The update path is one short transaction: the open patrol by the worker's Telegram id, the
aggregate's constant-time step (`Patrol.add_point`), one point row, the patrol row, and an
outbox row only when the 电子围栏 changes. Coverage is computed once, when a patrol ends.

Privacy: a point is stored only while its patrol is open and only from the patrol's own live
location message; a location from anyone else, or after the end, is not stored anywhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dispatch.db.orm import CaseRow
from dispatch.db.patrol_store import PatrolStore
from dispatch.db.uow import UnitOfWork
from dispatch.domain.errors import DomainError, NotAuthorised
from dispatch.domain.members import Role, grids_cover
from dispatch.domain.patrol import EndReason, FenceEvent, Patrol, TrackPoint, Verdict
from dispatch.domain.patrol_coverage import Raster, covered_mask, raster, share
from dispatch.domain.policy import PatrolPolicy
from dispatch.service.notify import Notice
from dispatch.service.ports import Clock
from dispatch.service.registry import DEFAULT_TIMEZONE, Registry

MAX_LIVE_PERIOD_S = 86_400  # Telegram's "until I stop" is 0x7FFFFFFF: treated as open-ended


class PatrolOpen(DomainError):
    """The worker is on patrol already: the new live location now carries that patrol (its
    updates are the patrol's from here on), and no second patrol is started."""

    def __init__(self, patrol: Patrol) -> None:
        super().__init__(f"patrol {patrol.id} is open")
        self.patrol = patrol


@dataclass
class UpdateResult:
    verdict: str  # a Verdict, or "no_patrol" (nothing stored)
    ended: Patrol | None = None  # the live location stopped: the patrol, ended


@dataclass
class TickResult:
    ended: int = 0
    alerts: int = 0
    tracks_deleted: int = 0
    digests: int = 0
    ended_ids: list[int] = field(default_factory=list)


class PatrolService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        registry: Callable[[], Registry],
        clock: Clock,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self._uow = uow
        self._registry = registry
        self.clock = clock
        self.tz = ZoneInfo(timezone)
        self._rasters: dict[tuple[str, int], Raster] = {}

    @property
    def policy(self) -> PatrolPolicy:
        return self._registry().policy.patrol

    # -- the worker's commands ------------------------------------------------------------------
    async def start(
        self, tg_id: int, message_id: int, lat: float, lon: float, live_period: int | None, at: datetime
    ) -> Patrol:
        """A grid worker's live location: a new patrol, with its first point."""
        async with self._uow() as uow:
            member = await uow.members.by_tg(tg_id)
            if member is None or not member.has(Role.GRID_WORKER) or member.id is None:
                raise NotAuthorised(f"Telegram user {tg_id} is not a grid worker")
            store = PatrolStore(uow.session)
            live_until = None
            if live_period and 0 < live_period <= MAX_LIVE_PERIOD_S:
                live_until = at + timedelta(seconds=live_period)
            if (open_ := await store.open_for_tg(tg_id)) is not None:
                open_.message_id, open_.live_until = message_id, live_until
                await self._take(uow, store, open_, TrackPoint(at, lat, lon), at)
                await store.save(open_)
                await uow.commit()
                raise PatrolOpen(open_)
            p = Patrol(member.id, tg_id, message_id, at, tuple(sorted(member.grids)), live_until=live_until)
            await store.add(p)
            await self._take(uow, store, p, TrackPoint(at, lat, lon), at)
            await store.save(p)
            await uow.commit()
            return p

    async def update(
        self, tg_id: int, message_id: int, lat: float, lon: float, live: bool, at: datetime
    ) -> UpdateResult:
        """An edit of a live location. `live` False: the sharing stopped (the final edit comes
        without `live_period`), so the patrol ends."""
        now = self.clock.now()
        async with self._uow() as uow:
            store = PatrolStore(uow.session)
            p = await store.open_for_tg(tg_id)
            if p is None or p.message_id != message_id:
                return UpdateResult("no_patrol")
            verdict = await self._take(uow, store, p, TrackPoint(min(at, now), lat, lon), now)
            if live:
                if not await store.save(p, while_open=True):  # ended meanwhile: nothing stored
                    await uow.rollback()
                    return UpdateResult("no_patrol")
                await uow.commit()
                return UpdateResult(verdict.value)
            await self._finish(uow, store, p, now, EndReason.STOPPED)
            await uow.commit()
            return UpdateResult(verdict.value, ended=p)

    async def end(self, tg_id: int) -> Patrol | None:
        """The worker ends their patrol (button or /patrol); None when none is open."""
        now = self.clock.now()
        async with self._uow() as uow:
            store = PatrolStore(uow.session)
            p = await store.open_for_tg(tg_id)
            if p is None:
                return None
            await self._finish(uow, store, p, now, EndReason.WORKER)
            await uow.commit()
            return p

    async def open_patrol(self, tg_id: int) -> Patrol | None:
        async with self._uow() as uow:
            return await PatrolStore(uow.session).open_for_tg(tg_id)

    async def mark_ok(self, tg_id: int, patrol_id: int) -> Patrol:
        """巡查无异常: only the worker's own ended patrol."""
        async with self._uow() as uow:
            store = PatrolStore(uow.session)
            p = await store.get(patrol_id)
            if p is None or p.tg_id != tg_id:
                raise NotAuthorised(f"patrol {patrol_id} is not Telegram user {tg_id}'s")
            p.ok = True
            await store.save(p)
            await uow.commit()
            return p

    # -- inside ---------------------------------------------------------------------------------
    async def _take(self, uow: UnitOfWork, store: PatrolStore, p: Patrol, point: TrackPoint,
                    now: datetime) -> Verdict:
        registry = self._registry()
        tree = registry.tree
        inside = grids_cover(tree, p.grids, tree.locate(point.lon, point.lat))
        verdict, events = p.add_point(point, inside, now, self.policy.rules)
        if verdict is Verdict.STORED:
            await store.add_point(p, point)
        if events:
            await self._alert(uow, registry, p, events, now)
        return verdict

    async def _alert(self, uow: UnitOfWork, registry: Registry, p: Patrol, events: list[FenceEvent],
                     now: datetime) -> None:
        """Each fence event to the grid leaders (网格长) of the worker's grids."""
        leaders = await self.leaders_of(uow, registry, p.grids)
        for e in events:
            for tg in leaders:
                uow.outbox.add(chat_id=tg, kind=Notice.PATROL_FENCE, now=now, payload={
                    "patrol_id": p.id, "fence": e.kind.value, "alert": e.alert,
                    "since": e.since.isoformat(), "at": now.isoformat(),
                })

    @staticmethod
    async def leaders_of(uow: UnitOfWork, registry: Registry, grids: tuple[str, ...]) -> list[int]:
        tree = registry.tree
        return [
            tg for tg, theirs in await uow.members.active_with_role(Role.GRID_LEADER.value)
            if any(grids_cover(tree, theirs, g) for g in grids)
        ]

    def raster_of(self, registry: Registry, grid_id: str) -> Raster | None:
        grid = registry.tree.by_id.get(grid_id)
        if grid is None:
            return None
        key = (grid_id, id(grid.geometry))
        r = self._rasters.get(key)
        if r is None:
            r = self._rasters[key] = raster(grid.geometry)
        return r

    async def _finish(self, uow: UnitOfWork, store: PatrolStore, p: Patrol, now: datetime,
                      reason: EndReason) -> None:
        """End the patrol: its coverage of each of the worker's grids, the reports made on it."""
        p.end(max(now, p.last_seen or now), reason)
        registry = self._registry()
        track = await store.track(p)
        coverage: dict[str, float] = {}
        masks: dict[str, list[object]] = {}
        for g in p.grids:
            r = self.raster_of(registry, g)
            if r is None:
                continue
            mask = covered_mask(r, track, self.policy.coverage_radius_m)
            coverage[g] = round(share(mask, r.cells), 4)
            masks[g] = [r.key, format(mask, "x")]
        assert p.ended_at is not None
        rows = (await uow.session.execute(
            select(CaseRow.id, CaseRow.on_spot).where(
                CaseRow.reporter_id == p.member_id, CaseRow.created_at >= p.started_at,
                CaseRow.created_at <= p.ended_at,
            ).order_by(CaseRow.id)
        )).all()
        p.summary = {
            "coverage": coverage, "masks": masks, "cases": [int(i) for i, _ in rows],
            "on_spot": sum(1 for _, s in rows if s),
        }
        await store.save(p)

    # -- the scheduler --------------------------------------------------------------------------
    async def tick(self, now: datetime | None = None) -> TickResult:
        now = now or self.clock.now()
        result = TickResult()
        policy = self.policy
        async with self._uow() as uow:
            store = PatrolStore(uow.session)
            registry = self._registry()
            for p in await store.open_patrols():
                reason = p.due_end(now, policy.rules)
                if reason is not None:
                    await self._finish(uow, store, p, now, reason)
                    uow.outbox.add(chat_id=p.tg_id, kind=Notice.PATROL_ENDED, now=now,
                                   payload={"patrol_id": p.id})
                    result.ended += 1
                    result.ended_ids.append(p.id or 0)
                    continue
                events = p.fence.on_tick(now, p.last_seen or p.started_at, policy.rules)
                if events:
                    await self._alert(uow, registry, p, events, now)
                    result.alerts += len(events)
                    await store.save_fence(p)
            cutoff = now - timedelta(days=policy.retention_days)
            result.tracks_deleted = await store.delete_tracks_before(cutoff)
            result.digests = await self._digest(uow, store, registry, now, policy)
            await uow.commit()
        return result

    async def _digest(self, uow: UnitOfWork, store: PatrolStore, registry: Registry, now: datetime,
                      policy: PatrolPolicy) -> int:
        """The morning message (日督导) to every grid leader, once a day, at the policy's time."""
        local = now.astimezone(self.tz)
        if local.time() < policy.digest_time:
            return 0
        day = (local.date() - timedelta(days=1)).isoformat()
        if await store.digest_queued(day):
            return 0
        leaders = await uow.members.active_with_role(Role.GRID_LEADER.value)
        for tg, grids in leaders:
            uow.outbox.add(chat_id=tg, kind=Notice.PATROL_DIGEST, now=now,
                           payload={"day": day, "grids": sorted(grids)})
        await store.mark_digest(day, now)
        return len(leaders)
