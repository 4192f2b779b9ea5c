"""Case actions from the console: the same CaseService commands the bot calls, acted by the
console user's linked member, channel "admin". Domain errors become one line of Chinese
for a flash message — never a 500."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import texts
from admin.accounts import ConsoleUser
from admin.queries import case_id_by_number
from dispatch.domain.case import Actor, Case
from dispatch.domain.errors import ConcurrentModification, DomainError, IllegalTransition, NotAuthorised
from dispatch.service.app import App

CHANNEL = "admin"
MAX_EXTENSION_HOURS = 720


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    case: Case | None = None


class ConsoleError(DomainError):
    """A refused form, already phrased for the person."""


def _actor(user: ConsoleUser) -> Actor:
    actor = user.actor(CHANNEL)
    if actor is None:
        raise ConsoleError(texts.ADMIN["err_no_member"])
    return actor


def describe(exc: DomainError, action: str) -> str:
    T = texts.ADMIN
    if isinstance(exc, ConsoleError):
        return str(exc)
    if isinstance(exc, NotAuthorised):
        return T["err_prefix"] + T["err_not_authorised"]
    if isinstance(exc, IllegalTransition):
        return T["err_prefix"] + T["err_illegal"].format(
            old=texts.STATUS_ZH.get(exc.old, exc.old), action=action)
    if isinstance(exc, ConcurrentModification):
        return T["err_prefix"] + T["err_concurrent"]
    return T["err_prefix"] + str(exc)


class ConsoleCommands:
    def __init__(self, app: App, user: ConsoleUser) -> None:
        self.app = app
        self.user = user

    def _due(self, due: datetime | None) -> str:
        from zoneinfo import ZoneInfo

        if due is None:
            return texts.ADMIN["none"]
        return due.astimezone(ZoneInfo(self.app.settings.timezone)).strftime("%m-%d %H:%M")

    async def reassign(self, case_id: int, unit_id: str, note: str, category: str | None) -> Outcome:
        T = texts.ADMIN
        action = T["act_reassign"]
        try:
            if unit_id not in self.app.registry.units:
                raise ConsoleError(T["err_prefix"] + T["err_unknown_unit"])
            if category and not self.app.registry.taxonomy.has_category(category):
                raise ConsoleError(T["err_prefix"] + T["err_unknown_category"])
            case = await self.app.service.reassign(case_id, _actor(self.user), unit_id, note.strip(),
                                                   category=category or None)
        except DomainError as exc:
            return Outcome(False, describe(exc, action))
        return Outcome(True, T["ok_reassigned"].format(
            number=case.number, unit=self.app.registry.unit_name(case.unit_id),
            due=self._due(case.due_at)), case)

    async def recategorise(self, case_id: int, category: str, note: str) -> Outcome:
        T = texts.ADMIN
        try:
            if not self.app.registry.taxonomy.has_category(category):
                raise ConsoleError(T["err_prefix"] + T["err_unknown_category"])
            case = await self.app.service.recategorise(case_id, _actor(self.user), category,
                                                       note.strip())
        except DomainError as exc:
            return Outcome(False, describe(exc, T["act_recategorise"]))
        return Outcome(True, T["ok_recategorised"].format(
            number=case.number, category=self.app.registry.category_name(case.category)), case)

    async def extend(self, case_id: int, hours_text: str, reason: str) -> Outcome:
        T = texts.ADMIN
        try:
            try:
                hours = float(hours_text)
            except ValueError:
                hours = -1.0
            if not 0 < hours <= MAX_EXTENSION_HOURS:
                raise ConsoleError(T["err_prefix"] + T["err_hours"])
            if not reason.strip():
                raise ConsoleError(T["err_prefix"] + T["err_reason_required"])
            case = await self.app.service.extend(case_id, _actor(self.user), hours, reason.strip())
        except DomainError as exc:
            return Outcome(False, describe(exc, T["act_extend"]))
        return Outcome(True, T["ok_extended"].format(number=case.number, due=self._due(case.due_at)), case)

    async def cancel(self, case_id: int, reason: str) -> Outcome:
        T = texts.ADMIN
        try:
            if not reason.strip():
                raise ConsoleError(T["err_prefix"] + T["err_reason_required"])
            case = await self.app.service.cancel(case_id, _actor(self.user), reason.strip())
        except DomainError as exc:
            return Outcome(False, describe(exc, T["act_cancel"]))
        return Outcome(True, T["ok_cancelled"].format(number=case.number), case)

    async def close(self, case_id: int, reason: str) -> Outcome:
        T = texts.ADMIN
        try:
            if not reason.strip():
                raise ConsoleError(T["err_prefix"] + T["err_reason_required"])
            case = await self.app.service.close(case_id, _actor(self.user), reason.strip())
        except DomainError as exc:
            return Outcome(False, describe(exc, T["act_close"]))
        return Outcome(True, T["ok_closed"].format(number=case.number), case)

    async def merge(self, case_id: int, into_number: str, note: str) -> Outcome:
        """合并: this case is a duplicate of the case numbered `into_number`."""
        T = texts.ADMIN
        try:
            into = await self._case_by_number(into_number.strip())
            case = await self.app.service.merge_duplicate(case_id, into, _actor(self.user), note)
        except DomainError as exc:
            return Outcome(False, describe(exc, T["act_merge"]))
        return Outcome(True, T["ok_merged"].format(number=case.number, into=into_number.strip()), case)

    async def unlink(self, case_id: int) -> Outcome:
        T = texts.ADMIN
        try:
            case = await self.app.service.unlink_duplicate(case_id, _actor(self.user))
        except DomainError as exc:
            return Outcome(False, describe(exc, T["act_unlink"]))
        return Outcome(True, T["ok_unlinked"].format(number=case.number), case)

    async def _case_by_number(self, number: str) -> int:
        T = texts.ADMIN
        if not number:
            raise ConsoleError(T["err_prefix"] + T["err_merge_number"])
        case_id = await case_id_by_number(self.app.uow(), number)
        if case_id is None:
            raise ConsoleError(T["err_prefix"] + T["err_merge_unknown"].format(number=number))
        return case_id
