"""The deadline scheduler: reminders, escalation (督办) and closing unrated cases; it also
makes the 通报 when it is due (`bulletin.py`), starts the scheduled NLU retraining
(`retrain_schedule.py`) and looks at patrols (`patrols.py`: stale locations, the maximum
duration, track retention, the morning message).

One scheduler runs across all processes (a database lease). `tick()` does one pass
at the clock's `now`, so tests drive a simulated week without sleeping."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import texts
from dispatch.db import lease
from dispatch.db.orm import CaseRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Action, Actor, Case, CaseEvent
from dispatch.domain.deadlines import (
    AutoClose,
    DeadlinePolicy,
    DeadlineState,
    Escalation,
    Reminder,
    due_actions,
)
from dispatch.domain.errors import ConcurrentModification
from dispatch.domain.routing import CATCH_ALL, Unit
from dispatch.domain.status import CaseStatus
from dispatch.service import bulletin, notify
from dispatch.service.patrols import PatrolService
from dispatch.service.patrols import TickResult as PatrolTick
from dispatch.service.ports import Clock
from dispatch.service.registry import DEFAULT_TIMEZONE, Registry
from dispatch.service.retention import RetentionResult, anonymise_due
from dispatch.service.retrain_schedule import RetrainSchedule

log = logging.getLogger(__name__)

LEASE_NAME = "deadline-scheduler"
SCANNED = [
    s.value for s in (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.RESOLVED, CaseStatus.VERIFIED)
]

RETENTION_EVERY = timedelta(hours=1)
RETENTION_PER_PASS = 1000  # a backlog goes in passes, so reminders and 督办 are not held up

@dataclass
class TickResult:
    reminders: int = 0
    escalations: int = 0
    auto_closed: int = 0
    conflicts: int = 0
    patrols: PatrolTick | None = None
    bulletins: int = 0


def _state(case: Case) -> DeadlineState:
    raw = case.sched or {}
    due = case.due_at.isoformat() if case.due_at else None
    reminders = int(raw.get("reminders", 0)) if raw.get("for_due") == due else 0
    at = raw.get("escalated_at")
    return DeadlineState(
        reminders_sent=reminders,
        escalation_step=int(raw.get("step", 0)),
        escalated_at=datetime.fromisoformat(at) if at else None,
    )


def _store(case: Case, state: DeadlineState) -> None:
    case.sched = {
        "reminders": state.reminders_sent,
        "for_due": case.due_at.isoformat() if case.due_at else None,
        "step": state.escalation_step,
        "escalated_at": state.escalated_at.isoformat() if state.escalated_at else None,
    }


def escalation_target(registry: Registry, case: Case, level: int) -> Unit | None:
    """The catch-all unit (社区网格站, 街道, 县网格中心) responsible at that grid level."""
    if case.grid_id is None or case.grid_id not in registry.tree:
        return None
    for gid in registry.tree.ancestors(case.grid_id):
        if registry.tree.get(gid).level == level:
            units = registry.table.at(gid, CATCH_ALL)
            return units[0] if units else None
    return None


class Scheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        registry: Callable[[], Registry],
        clock: Clock,
        policy: DeadlinePolicy | None = None,
        *,
        require_verification: bool | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        """`policy` / `require_verification`: fixed settings; None (the default) reads them
        from the registry's configured policy at every tick, so an edit applies at once.
        `timezone`: the county's (`Settings.timezone`), for the 通报's schedule and periods."""
        self._sessions = sessions
        self._registry = registry
        self.clock = clock
        self._policy = policy
        self._require_verification = require_verification
        self.timezone = timezone
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.retrain = RetrainSchedule(lambda: self.registry.policy.nlu_retrain, clock)
        self.patrols = PatrolService(self._uow, registry, clock, timezone)
        self._retention_next: datetime | None = None  # the retention pass runs once an hour

    @property
    def registry(self) -> Registry:
        return self._registry()

    @property
    def policy(self) -> DeadlinePolicy:
        return self._policy if self._policy is not None else self.registry.policy.deadlines

    @property
    def require_verification(self) -> bool:
        if self._require_verification is not None:
            return self._require_verification
        return self.registry.policy.require_verification

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    async def tick(self) -> TickResult:
        now = self.clock.now()
        result = TickResult()
        policy, require_verification = self.policy, self.require_verification  # one tick, one policy
        async with self._uow() as uow:
            rows = (
                await uow.session.scalars(
                    select(CaseRow.id).where(CaseRow.status.in_(SCANNED)).order_by(CaseRow.id)
                )
            ).all()
        for case_id in rows:
            try:
                await self._one(case_id, now, result, policy, require_verification)
            except ConcurrentModification:
                result.conflicts += 1  # changed meanwhile; the next tick sees it again
            except Exception:  # one bad case must not stop the others
                log.exception("scheduler: case %s failed", case_id)
        try:
            if await bulletin.make_due(self._uow, self.registry, now, self.timezone):
                result.bulletins += 1
        except Exception:  # the deadlines above are done; the next tick tries again
            log.exception("scheduler: the 通报 failed")
        try:
            result.patrols = await self.patrols.tick(now)
        except Exception:  # the cases' deadlines do not wait for a patrol problem
            log.exception("scheduler: patrols failed")
        return result

    async def _one(
        self,
        case_id: int,
        now: datetime,
        result: TickResult,
        policy: DeadlinePolicy,
        require_verification: bool,
    ) -> None:
        registry = self.registry
        async with self._uow() as uow:
            case = await uow.cases.get(case_id)
            if case is None or (case.sched or {}).get("history"):
                return  # an imported case is a record of the past: nobody is reminded of it
            state = _state(case)
            sla = registry.sla.hours_for(case.category, case.unit_id, case.priority)
            awaiting = (
                require_verification
                and not case.on_spot
                and bool(await notify.grid_workers_for(uow, registry, case.grid_id))
            )
            actions = due_actions(case, state, policy, now, sla_hours=sla, awaiting_verification=awaiting)
            if not actions:
                return
            system = Actor(None, "system", "system")
            events: list[CaseEvent] = []
            for action in actions:
                if isinstance(action, Reminder):
                    pct = round(action.share * 100)
                    events.append(
                        case.record(
                            Action.REMINDED,
                            system,
                            now,
                            texts.SCHED_REMINDER_NOTE.format(pct=pct),
                            share=action.share,
                            unit_id=case.unit_id,
                        )
                    )
                    state.reminders_sent += 1
                    result.reminders += 1
                    self._queue(uow, case, notify.Notice.REMINDER, now, share=action.share)
                elif isinstance(action, Escalation):
                    level = policy.escalation_levels[action.step - 1]
                    target = escalation_target(registry, case, level)
                    note = texts.SCHED_ESCALATION_NOTE.format(
                        step=action.step, target=target.name if target else texts.SCHED_NO_TARGET
                    )
                    events.append(
                        case.record(
                            Action.ESCALATED,
                            system,
                            now,
                            note,
                            step=action.step,
                            level=level,
                            target_unit_id=target.id if target else None,
                        )
                    )
                    state.escalation_step = action.step
                    state.escalated_at = now
                    result.escalations += 1
                    if target is not None and target.chat_id is not None:
                        self._queue(
                            uow, case, notify.Notice.ESCALATION, now, chat_id=target.chat_id, step=action.step
                        )
                    self._queue(uow, case, notify.Notice.ESCALATION, now, step=action.step)
                elif isinstance(action, AutoClose):
                    events.append(case.close_by_default(now, action.rating, texts.SCHED_AUTO_CLOSE_NOTE))
                    result.auto_closed += 1
            _store(case, state)
            await uow.cases.save(case, now)
            reporter = await uow.members.get(case.reporter_id) if case.reporter_id else None
            for e in events:
                await notify.plan(
                    uow, registry, case, e, now, reporter.tg_id if reporter and not reporter.blocked else None
                )
            await uow.commit()

    def _queue(
        self,
        uow: UnitOfWork,
        case: Case,
        kind: notify.Notice,
        now: datetime,
        *,
        chat_id: int | None = None,
        **data: object,
    ) -> None:
        """A reminder/escalation to the handling unit's group (or `chat_id`)."""
        if chat_id is None:
            unit = self.registry.units.get(case.unit_id or "")
            if unit is None or unit.chat_id is None:
                return
            chat_id = unit.chat_id
        uow.outbox.add(
            chat_id=chat_id, kind=kind, payload={"case_id": case.id, **data}, now=now, case_id=case.id
        )

    async def retention(self, *, force: bool = False) -> RetentionResult | None:
        """Anonymise what the retention policy says is due (at most once an hour, or now with
        `force`); None when it was not time yet."""
        now = self.clock.now()
        if not force and self._retention_next is not None and now < self._retention_next:
            return None
        self._retention_next = now + RETENTION_EVERY
        result = await anonymise_due(self._uow(), self.registry.policy.retention, now,
                                     max_cases=RETENTION_PER_PASS)
        if len(result.cases) >= RETENTION_PER_PASS:  # more to do: again at the next tick
            self._retention_next = now
        if result.cases:
            log.info("retention: anonymised %d case(s) and %d resident(s)", len(result.cases), result.members)
        return result

    async def run(self, stop: asyncio.Event, interval: float = 30.0, lease_ttl: float = 90.0) -> None:
        """Tick every `interval` seconds while this process holds the lease."""
        sessions = self._sessions
        while not stop.is_set():
            try:
                if await lease.acquire(
                    sessions, LEASE_NAME, self.holder, self.clock.now(), timedelta(seconds=lease_ttl)
                ):
                    r = await self.tick()
                    if r.reminders or r.escalations or r.auto_closed or r.bulletins:
                        log.info("scheduler: %s", r)
                    await self.retrain.maybe_start()
                    await self.retention()
            except Exception:
                log.exception("scheduler tick failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass
        await self.retrain.close()
        await lease.release(sessions, LEASE_NAME, self.holder)
