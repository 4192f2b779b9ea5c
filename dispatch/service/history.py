"""`gridbot history import`: cases that happened elsewhere, replayed into the case log.

Each line is one event (`{"case": "EXT-1", "at": "...", "action": "report", ...}`, formats in
docs/formats.md). Every event goes through the same `Case` commands as a live case, at its
own time, so an impossible sequence is an error with its line number. The whole file is one
transaction: all or nothing.

What the import decides:
- People are named by their stable member id. A reporter the county does not know becomes a
  resident of that id (name = the id); a case without a reporter is reported by the shared
  resident `history-import`. Other actors (`by`) are used when known and hold the role the
  step needs; otherwise the step is recorded as done by that role without a member.
- Nothing is sent: no outbox rows are written, and the deadline scheduler leaves imported
  cases alone (no reminders, escalations or default ratings of its own).
- The import replays the events given. What a live command does as part of the same step
  happens here too: a 返工 (不满意, failed 核查) goes back to the unit with the policy's time
  limit, a return goes to triage, a `resolve` without a (re-)accept implies the accept.
- Re-importing a file changes nothing: each external case remembers how many of its events
  were replayed (`history_cases`), and only later events of that case are applied.
- Fields an event does not use are kept on its event as `source`, never refused."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dispatch.db.orm import HistoryCaseRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Action, Actor, Case, CaseEvent, Rating
from dispatch.domain.errors import DomainError
from dispatch.domain.members import Member, Role
from dispatch.domain.numbering import format_case_number
from dispatch.domain.status import CaseStatus
from dispatch.service.registry import Registry
from dispatch.service.route_service import route_report

CHANNEL = "history"
SHARED_RESIDENT = "history-import"
RATINGS = {
    "满意": Rating.SATISFIED,
    "基本满意": Rating.BASICALLY_SATISFIED,
    "不满意": Rating.UNSATISFIED,
    **{r.value: r for r in Rating},
}
# The fields each action uses; anything else on the line is kept as a note (`source`).
USED: dict[str, set[str]] = {
    "report": {
        "text", "category", "lat", "lon", "address", "reporter", "on_spot", "duplicate_of", "emergency"
    },
    "dispatch": {"unit", "due", "by", "note"},
    "accept": {"by"},
    "return": {"reason", "by"},
    "extend": {"due", "reason", "by"},
    "resolve": {"note", "by"},
    "verify": {"ok", "by", "note"},
    "rate": {"rating", "solved", "default", "reason"},
    "cancel": {"reason", "by"},
    "review": {"ok", "by", "note"},
    "close": {"note", "by"},
}
BASE = {"case", "at", "action"}


class HistoryError(DomainError):
    """A line that cannot be replayed: the message names its line number."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class Line:
    no: int
    case: str
    at: datetime
    action: str
    fields: dict[str, Any]


@dataclass
class HistoryResult:
    cases_created: int = 0
    cases_updated: int = 0
    events_applied: int = 0
    events_skipped: int = 0  # already imported
    case_ids: dict[str, int] = field(default_factory=dict)


def parse_lines(lines: Iterable[str], tz: ZoneInfo) -> list[Line]:
    out: list[Line] = []
    for no, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise HistoryError(no, f"not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise HistoryError(no, "each line must be a JSON object")
        for key in BASE:
            if not obj.get(key):
                raise HistoryError(no, f"{key!r} is missing")
        action = str(obj["action"])
        if action not in USED:
            raise HistoryError(no, f"unknown action {action!r} (one of {', '.join(USED)})")
        out.append(Line(no, str(obj["case"]), _time(no, obj["at"], tz), action,
                        {k: v for k, v in obj.items() if k not in BASE}))
    return out


def _time(no: int, value: Any, tz: ZoneInfo) -> datetime:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise HistoryError(no, f"{value!r} is not an ISO 8601 time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


class _Replay:
    def __init__(
        self, uow: UnitOfWork, registry: Registry, prefix: str, tz: ZoneInfo, lines: list[Line]
    ) -> None:
        self.uow, self.registry, self.prefix, self.tz = uow, registry, prefix, tz
        self.cases: dict[str, Case] = {}
        self.rows: dict[str, HistoryCaseRow] = {}
        self.applied: dict[str, int] = {}  # events of each case replayed, in all imports
        self.stored: dict[str, int] = {}  # … before this one
        self.seen: dict[str, int] = {}  # lines of each case met in this file
        self.members: dict[str, Member | None] = {}
        self.routed_unit: dict[str, str | None] = {}
        self.last_at: dict[str, datetime] = {}
        self.pending_verify = {(ln.case, ln.no) for ln in lines if ln.action == "verify"}
        self.lines = lines

    async def member(self, ref: Any) -> Member | None:
        if not ref:
            return None
        key = str(ref)
        if key not in self.members:
            self.members[key] = await self.uow.members.by_ref(key)
        return self.members[key]

    async def actor(self, ref: Any, role: Role, *also: Role) -> Actor:
        """The member named `by` when they hold the role (or one of `also`); else the role alone."""
        m = await self.member(ref)
        if m is not None:
            for r in (role, *also):
                if m.has(r):
                    return Actor(m.id, r.value, CHANNEL)
        return Actor(None, role.value, CHANNEL)

    async def reporter(self, ref: Any, now: datetime) -> Member:
        key = str(ref) if ref else SHARED_RESIDENT
        m = await self.member(key)
        if m is None:
            name = "历史导入" if key == SHARED_RESIDENT else key
            m = await self.uow.members.save(Member(tg_id=None, name=name, ref=key), now)
            self.members[key] = m
        return m

    def verify_follows(self, line: Line) -> bool:
        return any(case == line.case and no > line.no for case, no in self.pending_verify)

    async def load(self, ref: str) -> Case | None:
        if ref in self.cases:
            return self.cases[ref]
        row = await self.uow.session.get(HistoryCaseRow, ref)
        if row is None:
            return None
        case = await self.uow.cases.get(row.case_id)
        assert case is not None
        self.rows[ref], self.cases[ref] = row, case
        self.applied[ref] = self.stored[ref] = row.events
        return case

    def redispatch_if_reopened(self, case: Case, now: datetime) -> None:
        """返工 goes back to the unit that handled it, with the policy's time limit (as live)."""
        if case.status is not CaseStatus.REOPENED:
            return
        system = Actor(None, "system", CHANNEL)
        if case.unit_id is not None and case.unit_id in self.registry.units:
            due = self.registry.sla.due_at(case.category, case.unit_id, case.priority, now)
            case.dispatch(case.unit_id, due, system, now, "返工")
        else:
            case.send_to_triage(system, now, "返工, 待重新分拨")

    async def report(self, ln: Line, extra: dict[str, Any]) -> None:
        f, now, registry = ln.fields, ln.at, self.registry
        category = str(f.get("category") or "other")
        if not registry.taxonomy.has_category(category):
            raise DomainError(f"unknown category {category!r}")
        text = str(f.get("text") or "").strip()
        lat, lon = _coord(f.get("lat")), _coord(f.get("lon"))
        routed = route_report(registry, " ".join(filter(None, [text, f.get("address")])), lat, lon,
                              category=category, emergency=bool(f.get("emergency")))
        member = await self.reporter(f.get("reporter"), now)
        role = member.reporter_role
        day = now.astimezone(self.tz).date()
        seq = await self.uow.cases.next_number_seq(self.prefix, f"{day:%Y%m%d}")
        case = Case(
            number=format_case_number(self.prefix, day, seq), category=category, description=text,
            created_at=now, reporter_id=member.id, reporter_role=role, channel=CHANNEL,
            lat=lat if lat is not None else routed.location.lat,
            lon=lon if lon is not None else routed.location.lon,
            address=f.get("address") or routed.location.place, grid_id=routed.grid_id,
            emergency=bool(f.get("emergency")), sched={"history": True},
        )
        reporter = Actor(member.id, role, CHANNEL)
        events = [case.report(reporter, now)]
        system = Actor(None, "system", CHANNEL)
        self.routed_unit[ln.case] = routed.unit_id
        if f.get("duplicate_of"):
            original = await self.load(str(f["duplicate_of"]))
            if original is None or original.id is None:
                raise DomainError(f"duplicate_of {f['duplicate_of']!r}: no such case before this line")
            events.append(case.mark_duplicate(original.id, original.number, system, now))
        elif f.get("on_spot"):
            events.append(case.resolve(reporter, now, "现场处置"))
            events.append(case.close(system, now, "现场处置, 小事不出格"))
        if extra:
            events[0].data["source"] = extra
        await self.uow.cases.add(case)
        if case.duplicate_of is not None and member.id is not None:
            original = await self.load(str(f["duplicate_of"]))
            assert original is not None
            await self.uow.cases.add_follower(case.duplicate_of, member.id, now)
            count = await self.uow.cases.duplicate_count(case.duplicate_of)
            original.record(Action.DUPLICATE_REPORTED, system, now, case.number,
                            duplicate_id=case.id, reports=count)
        self.cases[ln.case] = case

    async def step(self, case: Case, ln: Line) -> list[CaseEvent]:
        f, now = ln.fields, ln.at
        before = len(case.events)
        a = ln.action
        if a == "dispatch":
            unit = str(f.get("unit") or self.routed_unit.get(ln.case) or case.unit_id or "")
            if not unit:
                raise DomainError("no unit given and the routing rule finds none")
            if unit not in self.registry.units:
                raise DomainError(f"unknown unit {unit!r}")
            due = _time(ln.no, f["due"], self.tz) if f.get("due") else self.registry.sla.due_at(
                case.category, unit, case.priority, now)
            actor = await self.actor(f.get("by"), Role.DISPATCHER, Role.ADMIN)
            if case.status is CaseStatus.RETURNED:
                case.send_to_triage(actor, now, "改派")
            case.dispatch(unit, due, actor, now, str(f.get("note") or ""))
        elif a == "accept":
            case.accept(await self.actor(f.get("by"), Role.UNIT_MEMBER), now)
        elif a == "return":
            case.return_to_dispatcher(await self.actor(f.get("by"), Role.UNIT_MEMBER), now,
                                      str(f.get("reason") or "非本单位职责"))
            case.send_to_triage(Actor(None, "system", CHANNEL), now, "单位退回, 待重新分拨")
        elif a == "extend":
            if not f.get("due"):
                raise DomainError("extend needs the new deadline 'due'")
            case.extend(await self.actor(f.get("by"), Role.DISPATCHER, Role.ADMIN), now,
                        _time(ln.no, f["due"], self.tz), str(f.get("reason") or "延期"))
        elif a == "resolve":
            actor = await self.actor(f.get("by"), Role.UNIT_MEMBER)
            if case.status is CaseStatus.DISPATCHED:
                case.accept(actor, now)  # older systems do not record the (re-)acceptance
            case.resolve(actor, now, str(f.get("note") or ""))
        elif a == "verify":
            case.verify(await self.actor(f.get("by"), Role.GRID_WORKER), now, _flag(f.get("ok"), True),
                        str(f.get("note") or ""))
            self.redispatch_if_reopened(case, now)
        elif a == "rate":
            await self.rate(case, ln)
        elif a == "cancel":
            actor = await self.actor(f.get("by"), Role.DISPATCHER, Role.ADMIN)
            if actor.member_id is None and not f.get("by") and case.reporter_id is not None:
                actor = Actor(case.reporter_id, Role.RESIDENT.value, CHANNEL)
            case.cancel(actor, now, str(f.get("reason") or "撤销"))
        elif a == "review":
            case.review(await self.actor(f.get("by"), Role.GRID_LEADER, Role.DISPATCHER, Role.ADMIN), now,
                        _flag(f.get("ok"), True), str(f.get("note") or ""))
        elif a == "close":
            case.close(await self.actor(f.get("by"), Role.DISPATCHER, Role.ADMIN), now,
                       str(f.get("note") or "结案"))
        return case.events[before:]

    async def rate(self, case: Case, ln: Line) -> None:
        f, now = ln.fields, ln.at
        if _flag(f.get("default"), False):
            if case.status not in (CaseStatus.RESOLVED, CaseStatus.VERIFIED) or case.rating is not None:
                raise DomainError(f"case is {case.status.value}: the rating window is not open")
            case.close_by_default(now, Rating.SATISFIED.value, "默认满意")
            return
        rating = RATINGS.get(str(f.get("rating") or ""))
        if rating is None:
            raise DomainError(f"rating must be 满意, 基本满意 or 不满意, not {f.get('rating')!r}")
        solved = f.get("solved")
        resident = Actor(case.reporter_id, Role.RESIDENT.value, CHANNEL)
        case.rate(resident, now, rating, await_verification=self.verify_follows(ln),
                  solved=None if solved is None else _flag(solved, True), reason=str(f.get("reason") or ""))
        self.redispatch_if_reopened(case, now)

    async def apply(self, ln: Line) -> bool:
        """Replay one line; False when it was imported before."""
        n = self.seen[ln.case] = self.seen.get(ln.case, 0) + 1
        case = await self.load(ln.case)
        if n <= self.stored.get(ln.case, 0):
            return False
        if ln.case in self.last_at and ln.at < self.last_at[ln.case]:
            raise DomainError(f"events of case {ln.case} must be in time order")
        extra = {k: v for k, v in ln.fields.items() if k not in USED[ln.action]}
        if ln.action == "report":
            if case is not None:
                raise DomainError(f"case {ln.case} was reported already")
            await self.report(ln, extra)
        else:
            if case is None:
                raise DomainError(f"case {ln.case} has no report before this line")
            events = await self.step(case, ln)
            if extra and events:
                events[0].data["source"] = extra
        self.last_at[ln.case] = ln.at
        self.applied[ln.case] = n
        return True


def _coord(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DomainError(f"{value!r} is not a coordinate") from None


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise DomainError(f"{value!r} must be true or false")


async def import_history(
    uow: UnitOfWork, registry: Registry, lines: Iterable[str], *, prefix: str, tz: ZoneInfo, now: datetime
) -> HistoryResult:
    """Replay a JSON Lines history; raises HistoryError (nothing written) on any bad line."""
    parsed = parse_lines(lines, tz)
    result = HistoryResult()
    async with uow:
        replay = _Replay(uow, registry, prefix, tz, parsed)
        for ln in parsed:
            try:
                if await replay.apply(ln):
                    result.events_applied += 1
                else:
                    result.events_skipped += 1
            except HistoryError:
                raise
            except DomainError as exc:
                raise HistoryError(ln.no, str(exc)) from None
        for ref, case in replay.cases.items():
            assert case.id is not None
            row = replay.rows.get(ref)
            if row is None:
                uow.session.add(HistoryCaseRow(external_ref=ref, case_id=case.id,
                                               events=replay.applied[ref], imported_at=now))
                result.cases_created += 1
            elif row.events != replay.applied[ref]:
                row.events = replay.applied[ref]
                result.cases_updated += 1
            if case.events:
                await uow.cases.save(case, replay.last_at.get(ref, now))
            result.case_ids[ref] = case.id
        await uow.commit()
    return result


async def imported_refs(uow: UnitOfWork) -> dict[str, int]:
    async with uow:
        rows = (await uow.session.execute(select(HistoryCaseRow.external_ref, HistoryCaseRow.case_id))).all()
    return {r.external_ref: r.case_id for r in rows}
