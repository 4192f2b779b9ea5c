"""People have a stable id; a Telegram id is optional; commands take an actor."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dispatch.db.orm import OutboxRow
from dispatch.domain.case import Actor
from dispatch.domain.errors import ImportErrorLine, NotAuthorised
from dispatch.domain.members import Member, MemberInvalid, check_member
from dispatch.service.cases import ReportDraft
from dispatch.service.imports import import_members, parse_members
from tests.conftest import tg_actor, tg_member

MARKET = (25.838018, 115.021984)  # 解放路菜市场, in 解放社区第4网格 (G-01-01-01-04)


def test_ids_given_or_made_from_the_telegram_id() -> None:
    people = parse_members({"members": [
        {"id": "gw-li", "name": "李网格", "roles": ["grid_worker"], "grids": ["G-01-01"]},
        {"id": "zf-wang", "tg_id": 555001, "name": "王队员", "roles": ["unit_member"], "units": ["zf-chengguan"]},
        {"tg_id": 555002, "name": "居民"},
        {"id": 9001, "name": "数字编号"},
    ]})
    assert [(m.ref, m.tg_id) for m in people] == [
        ("gw-li", None), ("zf-wang", 555001), ("tg-555002", 555002), ("9001", None)]


@pytest.mark.parametrize("raw, message", [
    ({"name": "无名"}, "needs an id or a tg_id"),
    ({"id": "a b"}, "without spaces"),
    ({"id": ""}, "without spaces"),
    ({"id": "x" * 65}, "without spaces"),
    ({"id": ["x"]}, "id must be a string"),
    ({"id": "gw-1", "roles": "mayor"}, "member gw-1: roles must be a list of ids"),
])
def test_bad_people_are_refused_with_a_clear_line(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ImportErrorLine, match=message):
        parse_members({"members": [raw]})


@pytest.mark.parametrize("roles, grids, units, message", [
    ({"mayor"}, set(), set(), "未知的角色：mayor"),
    ({"grid_worker"}, set(), set(), "网格员至少要负责一个网格"),
    ({"grid_leader"}, {"G-99"}, set(), "未知的网格：G-99"),
    ({"unit_member"}, set(), set(), "单位成员至少要属于一个单位"),
])
def test_what_a_member_may_be_is_checked_in_one_place(roles: set[str], grids: set[str], units: set[str],
                                                      message: str) -> None:
    """`check_member`: roles and scopes, for the members import and the console alike."""
    person = Member(tg_id=None, ref="gw-1", name="李网格", roles=roles, grids=grids, units=units)
    with pytest.raises(MemberInvalid, match=f"^成员 李网格（gw-1）：{message}$"):
        check_member(person, {"G-01"}, {"zf-chengguan"})
    assert check_member(Member(tg_id=5, name="居民", grids={"G-01"}), {"G-01"}, set()).grids == set()


def test_an_id_given_twice_is_refused() -> None:
    with pytest.raises(ImportErrorLine, match="duplicate member id gw-1"):
        parse_members({"members": [{"id": "gw-1"}, {"id": "gw-1", "tg_id": 5}]})


def test_a_member_needs_some_identity() -> None:
    with pytest.raises(ValueError):
        Member(tg_id=None, name="nobody")


async def test_a_file_names_a_person_the_bot_already_knows(app: Any, clock: Any) -> None:
    """Someone who wrote to the bot first (tg-<id>) keeps their row when a file gives them an id."""
    first = await tg_member(app, 777001)
    await import_members(app.uow(), {"members": [
        {"id": "gw-new", "tg_id": 777001, "name": "新网格员", "roles": ["grid_worker"], "grids": ["G-01-01"]},
        {"id": "gw-offline", "name": "没有电报的网格员", "roles": ["grid_worker"], "grids": ["G-01-01"]},
    ]}, clock.now())
    async with app.uow() as uow:
        known = await uow.members.by_ref("gw-new")
        offline = await uow.members.by_ref("gw-offline")
    assert known is not None and known.id == first and known.tg_id == 777001
    assert offline is not None and offline.tg_id is None
    # re-importing changes nothing
    await import_members(app.uow(), {"members": [
        {"id": "gw-offline", "name": "没有电报的网格员", "roles": ["grid_worker"], "grids": ["G-01-01"]}]},
        clock.now())
    async with app.uow() as uow:
        again = await uow.members.by_ref("gw-offline")
    assert again is not None and again.id == offline.id


async def test_people_without_telegram_act_and_are_never_sent_a_chat_notice(app: Any, clock: Any) -> None:
    await import_members(app.uow(), {"members": [
        {"id": "gw-offline", "name": "没有电报的网格员", "roles": ["grid_worker"], "grids": ["G-01-01"]},
        {"id": "disp-phone", "name": "接线员", "roles": ["dispatcher"]},
    ]}, clock.now())
    async with app.uow() as uow:
        worker = await uow.members.by_ref("gw-offline")
        dispatcher = await uow.members.by_ref("disp-phone")
    assert worker is not None and worker.id is not None and dispatcher is not None
    case = await app.service.submit_report(ReportDraft(
        text="菜市场门口垃圾堆了好几天", reporter_id=worker.id, category="garbage", lat=MARKET[0], lon=MARKET[1]))
    assert case.reporter_role == "grid_worker"
    case = await app.service.extend(case.id, Actor(dispatcher.id, "dispatcher", "cli"), 4, "需要调车")
    async with app.uow() as uow:
        chats = set((await uow.session.scalars(select(OutboxRow.chat_id))).all())
        events = await uow.cases.events(case.id)
    assert None not in chats
    assert (events[-1].action, events[-1].actor_id, events[-1].channel) == ("extended", dispatcher.id, "cli")


async def test_an_actor_must_hold_the_role_they_act_in(app: Any) -> None:
    case = await app.service.submit_report(ReportDraft(
        text="乱贴小广告", reporter_id=await tg_member(app, 100001), category="illegal_ads",
        lat=MARKET[0], lon=MARKET[1]))
    resident = await tg_actor(app, 100001, "resident")
    with pytest.raises(NotAuthorised):  # a resident claiming to be a dispatcher
        await app.service.close(case.id, Actor(resident.member_id, "dispatcher", "telegram"), "结案")
    with pytest.raises(NotAuthorised):  # a dispatcher command done "as a resident"
        await app.service.extend(case.id, await tg_actor(app, 400001, "resident"), 2, "x")
    with pytest.raises(NotAuthorised):  # nobody
        await app.service.accept(case.id, Actor(987654321, "unit_member", "telegram"))
    # the reporter may cancel their own report while nobody has taken it up
    case = await app.service.cancel(case.id, resident, "已自行解决")
    assert case.status.value == "cancelled"
