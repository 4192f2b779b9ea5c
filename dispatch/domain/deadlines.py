"""Deadlines: reminders before the time limit, escalation (督办) after it, and closing
cases nobody rated. Pure: the scheduler passes `now` and applies what comes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.domain.case import Case
from dispatch.domain.status import CaseStatus

WATCHED = (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED)


@dataclass(frozen=True)
class DeadlinePolicy:
    reminder_shares: tuple[float, ...] = (0.5, 0.8)  # of the time allowed
    # Escalation (小事不出格、一般难事不出社区): the grid levels a late case climbs,
    # nearest first — community station, street, county grid centre.
    escalation_levels: tuple[int, ...] = (3, 2, 1)
    # After the first escalation at the deadline, the next step follows after this
    # many hours (None: the category's own time limit again).
    escalation_interval_hours: float | None = None
    rating_timeout_hours: float = 72.0  # then closed as rated by default (默认满意)
    default_rating: str = "satisfied"
    verification_timeout_hours: float | None = None  # None: wait for 核查 indefinitely


@dataclass(frozen=True)
class Reminder:
    share: float


@dataclass(frozen=True)
class Escalation:
    step: int  # 1 = first level above the unit


@dataclass(frozen=True)
class AutoClose:
    rating: str


@dataclass
class DeadlineState:
    """What the scheduler has already done for a case (stored on the case row)."""

    reminders_sent: int = 0  # how many of `reminder_shares` went out
    escalation_step: int = 0
    escalated_at: datetime | None = None


def due_actions(
    case: Case,
    state: DeadlineState,
    policy: DeadlinePolicy,
    now: datetime,
    *,
    sla_hours: float,
    awaiting_verification: bool = False,
) -> list[Reminder | Escalation | AutoClose]:
    """Everything that is due for `case` at `now`, oldest first."""
    out: list[Reminder | Escalation | AutoClose] = []
    if case.status in WATCHED and case.due_at is not None and case.dispatched_at is not None:
        window = case.due_at - case.dispatched_at
        sent = state.reminders_sent
        for i, share in enumerate(policy.reminder_shares):
            if i < sent:
                continue
            if now >= case.dispatched_at + window * share and now < case.due_at:
                out.append(Reminder(share))
                sent = i + 1
        if now >= case.due_at and state.escalation_step < len(policy.escalation_levels):
            interval = timedelta(hours=policy.escalation_interval_hours or sla_hours)
            if state.escalation_step == 0:
                out.append(Escalation(1))
            elif state.escalated_at is not None and now >= state.escalated_at + interval:
                out.append(Escalation(state.escalation_step + 1))
    if case.rating is None and case.resolved_at is not None:
        waited = now - case.resolved_at
        timeout = timedelta(hours=policy.rating_timeout_hours)
        if case.status is CaseStatus.VERIFIED and waited >= timeout:
            out.append(AutoClose(policy.default_rating))
        elif case.status is CaseStatus.RESOLVED and waited >= timeout:
            vt = policy.verification_timeout_hours
            if not awaiting_verification or (vt is not None and waited >= timedelta(hours=vt)):
                out.append(AutoClose(policy.default_rating))
    return out
