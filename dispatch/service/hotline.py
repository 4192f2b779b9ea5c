"""12345 work orders into the same loop: each order becomes a case through the same commands
as a chat report (`CaseService.submit_report`, `amend_report`), keyed by its order number.

People. The hotline is one member, ref `hotline` (12345热线, roles resident and dispatcher):
it is the reporter of every hotline case (so units see "12345热线", and no chat message ever
goes to a caller) and the actor of re-sent orders (a dispatcher's amend). The caller's name
and number stay in `hotline_orders`, for the call-back only.

Re-import. The order number maps to its case. An identical row changes nothing
(`unchanged`); a changed text, address or point re-classifies, re-locates and re-routes the
case (`updated`; see `amend_report`); other changes (time, caller, type) update the stored
order only. 咨询 / 建议 / 表扬 (/ 感谢) orders are recorded without a case; a later re-send
as 投诉 / 求助 creates the case. A case once created stays when its order turns into 咨询."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dispatch.db import channel_store
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Actor, Case, Channel
from dispatch.domain.members import Member, Role
from dispatch.service.cases import CaseService, ReportDraft
from dispatch.service.hotline_file import HotlineOrder
from dispatch.service.ports import Classifier

HOTLINE_REF = "hotline"
HOTLINE_NAME = "12345热线"

# The call-taker's register around what the caller said ("来电人反映：……，要求相关部门尽快处理。").
_OPENING = re.compile(
    r"^\s*(?:(?:市民|群众|居民|来电人|来电市民|来电群众|来电者|诉求人|该市民)\s*(?:来电|来话|致电)?\s*"
    r"|来电\s*)(?:反映|反应|称|表示|投诉|求助|咨询|诉求|说)?\s*[:：，,]?\s*"
)
_CLOSING = re.compile(
    r"[，,。；;]?\s*(?:来电人|市民|诉求人)?\s*(?:要求|希望|请求|恳请|望|请)\s*"
    r"(?:相关|有关|职能|责任)?(?:部门|单位)?[^。！!]{0,30}?"
    r"(?:处理|解决|核实|查处|整改|回复|处置|落实|协调|清理|清运|修复|维修|拆除|制止|取缔|管理)"
    r"[^。！!]{0,10}[。！!]?\s*$"
)


def caller_words(text: str) -> str:
    """What the caller said, without the call-taker's opening and closing formulas."""
    core = _CLOSING.sub("", _OPENING.sub("", text, count=1), count=1).strip(" ，,。")
    return core or text


@dataclass(frozen=True, slots=True)
class RowResult:
    row: int
    order_no: str | None
    status: str  # created / updated / unchanged / recorded / error
    case_number: str | None = None
    category: str | None = None
    grid_id: str | None = None
    unit_id: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row, "order_no": self.order_no, "status": self.status,
            "case_number": self.case_number, "category": self.category, "grid_id": self.grid_id,
            "unit_id": self.unit_id, "error": self.error,
        }


class HotlineImporter:
    def __init__(self, service: CaseService, uow: Callable[[], UnitOfWork], classifier: Classifier) -> None:
        self.service = service
        self._uow = uow
        self.classifier = classifier
        self._member: Member | None = None

    async def member(self) -> Member:
        """The hotline's member, created on first use."""
        if self._member is None:
            async with self._uow() as uow:
                member = await uow.members.by_ref(HOTLINE_REF)
                if member is None:
                    member = Member(tg_id=None, name=HOTLINE_NAME, ref=HOTLINE_REF,
                                    roles={Role.RESIDENT.value, Role.DISPATCHER.value})
                    await uow.members.save(member, self.service.clock.now())
                    await uow.commit()
                self._member = member
        return self._member

    def classify(self, order: HotlineOrder) -> tuple[str, float | None, bool]:
        pred = self.classifier.predict(caller_words(order.text))
        ranking = getattr(pred, "ranking", None) or []
        category = pred.category or (ranking[0][0] if ranking else "other")
        confidence = pred.confidence if pred.category else (ranking[0][1] if ranking else None)
        if not self.service.registry.taxonomy.has_category(category):
            category = "other"
        return category, confidence, bool(pred.emergency)

    async def import_order(self, row: int, order: HotlineOrder) -> RowResult:
        member = await self.member()
        assert member.id is not None
        async with self._uow() as uow:
            stored = await channel_store.hotline_order(uow.session, order.order_no)
            known = None
            if stored is not None:
                known = (stored.text, stored.address, stored.lat, stored.lon), stored.category
                case_id, fingerprint = stored.case_id, stored.fingerprint
        if stored is not None and fingerprint == order.fingerprint():
            return await self._result(row, order, "unchanged", case_id, stored.category)
        same_place = known is not None and known[0] == order.place_key()
        has_case = stored is not None and case_id is not None
        if same_place and known is not None and (has_case or not order.dispatched):
            category, confidence, emergency = known[1], None, False  # nothing to classify again
        else:
            category, confidence, emergency = self.classify(order)
        now = self.service.clock.now()
        fields = {
            "fingerprint": order.fingerprint(), "received_at": order.received_at, "kind": order.kind,
            "text": order.text, "address": order.address, "lat": order.lat, "lon": order.lon,
            "category": category, "caller_name": order.caller_name, "caller_phone": order.caller_phone,
        }

        async def record(uow: UnitOfWork, case: Case | None) -> None:
            await channel_store.save_hotline_order(
                uow.session, order.order_no, now, case.id if case is not None else None, **fields
            )

        if stored is not None and case_id is not None:  # an order with its case, re-sent
            if same_place:
                async with self._uow() as uow:
                    await record(uow, None)
                    await uow.commit()
                return await self._result(row, order, "updated", case_id, category)
            actor = Actor(member.id, Role.DISPATCHER.value, Channel.HOTLINE)
            case = await self.service.amend_report(
                case_id, actor, text=order.text, address=order.address, lat=order.lat, lon=order.lon,
                category=category, also=record,
            )
            return self._case_result(row, order, "updated", case)
        if not order.dispatched:
            async with self._uow() as uow:
                await record(uow, None)
                await uow.commit()
            return RowResult(row, order.order_no, "recorded")
        draft = ReportDraft(
            text=order.text, reporter_id=member.id, category=category, confidence=confidence,
            emergency=emergency, lat=order.lat, lon=order.lon, address=order.address,
            channel=Channel.HOTLINE,
        )
        case = await self.service.submit_report(draft, also=record)
        return self._case_result(row, order, "created", case)

    def _case_result(self, row: int, order: HotlineOrder, status: str, case: Case) -> RowResult:
        return RowResult(row, order.order_no, status, case.number, case.category, case.grid_id, case.unit_id)

    async def _result(
        self, row: int, order: HotlineOrder, status: str, case_id: int | None, category: str
    ) -> RowResult:
        if case_id is None:
            return RowResult(row, order.order_no, "recorded" if status != "unchanged" else status)
        async with self._uow() as uow:
            case = await uow.cases.get(case_id)
        if case is None:  # pragma: no cover - a foreign key keeps it
            return RowResult(row, order.order_no, status, category=category)
        return self._case_result(row, order, status, case)
