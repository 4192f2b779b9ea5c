"""新建案件: a dispatcher enters a case for a caller; it is routed like any report, its channel
recorded, the caller's name and phone kept from units and viewers."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from dispatch.db.orm import CaseEventRow, CaseRow, MemberRow, OutboxRow
from tests.admin.conftest import MARKET, csrf_of, logged_in

CALLER_PHONE = "13912345678"
CALLER_NAME = "李来电"
VENDING = "解放路菜市场门口天天有人摆摊卖菜，堵住了路"


def png() -> bytes:
    """A valid 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def model() -> Any:
    from nlu.api import load_model

    return load_model()


@pytest.fixture
async def nlu_app(app: Any, model: Any) -> Any:
    from admin.app import create_admin_app

    model.add_places(app.registry.gazetteer.all_names())
    return create_admin_app(app, use_bot_photos=False, classifier=model)


async def form_page(c: httpx.AsyncClient) -> str:
    page = await c.get("/intake")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def fields(csrf: str, **over: str) -> dict[str, str]:
    base = {"csrf_token": csrf, "text": VENDING, "source": "phone", "category": "street_vending",
            "caller_name": CALLER_NAME, "caller_phone": CALLER_PHONE, "lat": str(MARKET[0]),
            "lon": str(MARKET[1]), "address": "", "action": "submit"}
    base.update(over)
    return base


async def last_case(app: Any) -> CaseRow | None:
    async with app.uow() as uow:
        return await uow.session.scalar(select(CaseRow).order_by(CaseRow.id.desc()).limit(1))


async def test_dispatcher_creates_a_routed_case(nlu_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(nlu_app, "dispatcher")
    csrf = await form_page(c)
    r = await c.post("/intake", data=fields(csrf), files=[("photos", ("p.png", png(), "image/png"))])
    assert r.status_code == 303, r.text
    case_url = r.headers["location"]
    case = await last_case(app)
    assert case is not None and case_url == f"/cases/{case.id}"
    assert case.status == "dispatched" and case.unit_id is not None
    assert app.registry.unit_name(case.unit_id) == "城关执法中队"
    assert case.channel == "phone" and case.due_at is not None
    async with app.uow() as uow:
        events = (await uow.session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case.id))).all()
        outbox = (await uow.session.scalars(select(OutboxRow).where(OutboxRow.case_id == case.id))).all()
        caller = await uow.session.get(MemberRow, case.reporter_id)
    assert {e.channel for e in events} == {"phone"}
    reported = next(e for e in events if e.action == "reported")
    assert reported.data.get("entered_by") == users["dispatcher"].member_id
    unit_chat = app.registry.units[case.unit_id].chat_id
    assert any(o.kind == "unit_card" and o.chat_id == unit_chat for o in outbox), [o.kind for o in outbox]
    assert caller is not None and caller.tg_id is None and caller.phone == CALLER_PHONE
    # nothing goes to the caller: every outbox row is for a group
    assert all(o.chat_id < 0 for o in outbox)

    # the case page: where it stands, the caller for the dispatcher
    page = await c.get(case_url)
    assert "已派遣" in page.text and "城关执法中队" in page.text and "来电" in page.text
    assert CALLER_PHONE in page.text and CALLER_NAME in page.text
    assert "dispatcher-用户" in page.text  # who entered it
    photo_ids = re.findall(r'src="/photos/(console-[0-9a-f]+)"', page.text)
    assert len(photo_ids) == 1
    served = await c.get(f"/photos/{photo_ids[0]}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png()

    # a viewer reads the case without the caller's name or phone
    v = await logged_in(nlu_app, "viewer")
    seen = await v.get(case_url)
    assert seen.status_code == 200 and CALLER_PHONE not in seen.text and CALLER_NAME not in seen.text
    assert "来电群众" in seen.text
    members = await v.get("/config/members")
    assert members.status_code == 200 and CALLER_NAME not in members.text

    # the unit's card: no caller, and the console photo is not sent as a Telegram file
    from bot import render
    from dispatch.service.queries import view_of

    async with app.uow() as uow:
        full = await uow.cases.get(case.id)
        assert full is not None
        view = await view_of(uow, full)
    text, _ = render.unit_card(view, app.registry, unit_chat, ZoneInfo("Asia/Shanghai"))
    assert CALLER_PHONE not in text and CALLER_NAME not in text and "照片" not in text
    assert [p.in_telegram for p in full.photos] == [False]


async def test_viewer_is_refused(nlu_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(nlu_app, "viewer")
    assert (await c.get("/intake")).status_code == 403
    assert (await c.get("/intake/suggest", params={"text": VENDING})).status_code == 403
    dispatcher = await logged_in(nlu_app, "dispatcher")
    csrf_d = await form_page(dispatcher)
    page = await c.get("/cases")
    r = await c.post("/intake", data=fields(csrf_of(page.text)))
    assert r.status_code == 403 and csrf_d
    assert await last_case(app) is None


async def test_csrf_is_required(nlu_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(nlu_app, "dispatcher")
    await form_page(c)
    r = await c.post("/intake", data=fields("not-the-token"))
    assert r.status_code == 403
    r = await c.post("/intake", data={k: v for k, v in fields("").items() if k != "csrf_token"})
    assert r.status_code == 403
    assert await last_case(app) is None


@pytest.mark.parametrize(("over", "message"), [
    ({"text": "   "}, "请填写问题描述"),
    ({"text": "路" * 4001}, "最长 4000 字"),
    ({"category": "no_such_category"}, "请选择有效的类别"),
    ({"lat": "abc"}, "位置坐标无效"),
    ({"lon": ""}, "位置坐标无效"),
    ({"source": "carrier_pigeon"}, "请选择来源"),
])
async def test_bad_input_reshows_the_form(nlu_app: Any, app: Any, users: Any, over: dict[str, str],
                                          message: str) -> None:
    c = await logged_in(nlu_app, "dispatcher")
    csrf = await form_page(c)
    r = await c.post("/intake", data=fields(csrf, **over))
    assert r.status_code == 400
    assert message in r.text and 'id="intake-error"' in r.text
    assert f'value="{CALLER_PHONE}"' in r.text  # what was typed is kept
    if over.get("text", "").strip():
        assert over["text"] in r.text
    assert await last_case(app) is None


async def test_not_an_image_is_refused(nlu_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(nlu_app, "dispatcher")
    csrf = await form_page(c)
    r = await c.post("/intake", data=fields(csrf), files=[("photos", ("x.png", b"not an image", "image/png"))])
    assert r.status_code == 400 and "照片须为" in r.text and VENDING in r.text
    assert await last_case(app) is None


async def test_category_required_without_a_model(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "dispatcher")
    csrf = await form_page(c)
    r = await c.post("/intake", data=fields(csrf, category=""))
    assert r.status_code == 400 and "请选择有效的类别" in r.text
    assert (await c.get("/intake/suggest", params={"text": VENDING})).json()["available"] is False
    r = await c.post("/intake", data=fields(csrf))
    assert r.status_code == 303


async def test_pin_outside_every_grid_goes_to_triage(nlu_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(nlu_app, "dispatcher")
    csrf = await form_page(c)
    r = await c.post("/intake", data=fields(csrf, lat="39.9", lon="116.4", source="walk_in"))
    assert r.status_code == 303
    case = await last_case(app)
    assert case is not None and case.status == "triage" and case.unit_id is None
    assert case.channel == "walk_in"
    async with app.uow() as uow:
        events = (await uow.session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case.id))).all()
    triaged = [e for e in events if e.new_status == "triage"]
    assert triaged and triaged[-1].note
    page = await c.get(r.headers["location"])
    assert "待分拨" in page.text and triaged[-1].note in page.text


async def test_typed_address_is_resolved(nlu_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(nlu_app, "dispatcher")
    csrf = await form_page(c)
    r = await c.post("/intake", data=fields(csrf, lat="", lon="", address="解放路菜市场",
                                             text="门口有人摆摊卖菜", source="police_110"))
    assert r.status_code == 303, r.text
    case = await last_case(app)
    assert case is not None and case.status == "dispatched" and case.grid_id == "G-01-01-01-04"
    assert case.channel == "police_110" and case.lat is not None


async def test_suggestion_endpoint_and_button(nlu_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(nlu_app, "dispatcher")
    got = (await c.get("/intake/suggest", params={"text": VENDING})).json()
    assert got["available"] is True and got["category"] == "street_vending" and "占道" in got["message"]
    fire = (await c.get("/intake/suggest", params={"text": "小区配电房着火了，浓烟很大"})).json()
    assert fire["emergency"] is True
    csrf = await form_page(c)
    page = await c.post("/intake", data=fields(csrf, category="", action="suggest"))
    assert page.status_code == 200
    assert re.search(r'<option value="street_vending"\s+selected', page.text)
    assert await last_case(app) is None
    # the suggestion left in place, a later correction is recorded against it
    r = await c.post("/intake", data=fields(csrf, predicted="street_vending", category="garbage"))
    assert r.status_code == 303


async def test_a_failed_submit_keeps_no_caller(app: Any, users: Any) -> None:
    from dispatch.domain.errors import DomainError
    from dispatch.service.intake import Intake, IntakeService

    async def members() -> int:
        async with app.uow() as uow:
            return len((await uow.session.scalars(select(MemberRow.id))).all())

    async def refuse(draft: Any, also: Any = None) -> Any:
        raise DomainError("refused")

    before = await members()
    service = IntakeService(app.service, app.uow)
    app.service.submit_report = refuse
    actor = users["dispatcher"].actor("phone")
    with pytest.raises(DomainError):
        await service.submit(Intake(text=VENDING, source="phone", category="street_vending",
                                    caller_name=CALLER_NAME), actor, "来电群众")
    assert await members() == before
