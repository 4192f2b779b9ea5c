"""Case statuses and the one table of allowed transitions.

new ─► dispatched ─► accepted ─► resolved ─► verified ─► closed
 │        │  ▲          │          │  │                    ▲
 │        ▼  │          ▼          │  └────────────────────┘ (closed by rating alone)
 │     returned ─► triage ─► dispatched
 ├─► triage                       reopened (返工) ─► dispatched
 ├─► resolved (现场处置 by a grid worker on the spot)
 ├─► duplicate (linked to an open case) ─► triage (unlinked)
 └─► cancelled
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"  # 已上报, not yet dispatched
    TRIAGE = "triage"  # 待分拨: unroutable, returned or low confidence
    DISPATCHED = "dispatched"  # 已派遣
    ACCEPTED = "accepted"  # 处置中 (a unit member took it)
    RETURNED = "returned"  # 已退回 (unit: not ours)
    RESOLVED = "resolved"  # 已处置, waiting for 核查 / rating
    VERIFIED = "verified"  # 核查通过
    REOPENED = "reopened"  # 返工
    CLOSED = "closed"  # 已结案
    CANCELLED = "cancelled"  # 已作废
    DUPLICATE = "duplicate"  # 重复上报, follows another case


S = CaseStatus

TRANSITIONS: frozenset[tuple[CaseStatus, CaseStatus]] = frozenset(
    {
        (S.NEW, S.DISPATCHED),
        (S.NEW, S.TRIAGE),
        (S.NEW, S.RESOLVED),  # 现场处置: a grid worker fixed it on the spot
        (S.NEW, S.DUPLICATE),
        (S.NEW, S.CANCELLED),
        (S.TRIAGE, S.DISPATCHED),
        (S.TRIAGE, S.CANCELLED),
        (S.TRIAGE, S.DUPLICATE),
        (S.DISPATCHED, S.DISPATCHED),  # reassigned or escalated to another unit
        (S.DISPATCHED, S.ACCEPTED),
        (S.DISPATCHED, S.RETURNED),
        (S.DISPATCHED, S.TRIAGE),  # pulled back by a dispatcher
        (S.DISPATCHED, S.CANCELLED),
        (S.ACCEPTED, S.RESOLVED),
        (S.ACCEPTED, S.RETURNED),
        (S.ACCEPTED, S.DISPATCHED),  # reassigned by a dispatcher
        (S.ACCEPTED, S.CANCELLED),
        (S.RETURNED, S.TRIAGE),
        (S.RETURNED, S.DISPATCHED),  # 改派 at once
        (S.RESOLVED, S.VERIFIED),
        (S.RESOLVED, S.REOPENED),
        (S.RESOLVED, S.CLOSED),  # closed by rating alone / on-the-spot cases
        (S.VERIFIED, S.CLOSED),
        (S.VERIFIED, S.REOPENED),  # resident unhappy after verification
        (S.REOPENED, S.DISPATCHED),
        (S.REOPENED, S.TRIAGE),
        (S.REOPENED, S.CANCELLED),
        (S.DUPLICATE, S.TRIAGE),  # unlinked by a dispatcher
        # merged by a dispatcher into another open case (合并): the same problem twice
        (S.DISPATCHED, S.DUPLICATE),
        (S.ACCEPTED, S.DUPLICATE),
        (S.RETURNED, S.DUPLICATE),
        (S.REOPENED, S.DUPLICATE),
    }
)

# Named groups for queries and dashboards.
FINAL: frozenset[CaseStatus] = frozenset({S.CLOSED, S.CANCELLED, S.DUPLICATE})
OPEN: frozenset[CaseStatus] = frozenset(set(CaseStatus) - FINAL)
AWAITING_HANDLING: frozenset[CaseStatus] = frozenset(
    {S.NEW, S.TRIAGE, S.DISPATCHED, S.ACCEPTED, S.RETURNED, S.REOPENED}
)
HANDLED: frozenset[CaseStatus] = frozenset({S.RESOLVED, S.VERIFIED, S.CLOSED})
WITH_UNIT: frozenset[CaseStatus] = frozenset({S.DISPATCHED, S.ACCEPTED})


def can_transition(old: CaseStatus, new: CaseStatus) -> bool:
    return (old, new) in TRANSITIONS
