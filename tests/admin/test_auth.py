"""Accounts, sessions, CSRF and roles: who may do what in the console."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from admin.accounts import create_user
from dispatch.db.orm import MemberRow, OutboxRow
from dispatch.domain.case import Actor
from tests.admin.conftest import PASSWORD, csrf_of, logged_in, login


async def status_of(app: Any, case_id: int) -> str:
    async with app.uow() as uow:
        case = await uow.cases.get(case_id)
        return case.status.value


async def test_logged_out_requests_are_redirected_to_login(client: httpx.AsyncClient, users: Any,
                                                           cases: Any, app: Any) -> None:
    for path in ("/", "/cases?status=open", "/cases/1", "/triage", "/cases/export.csv", "/config/users",
                 "/api/map.json", "/photos/AgACx"):
        r = await client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")
    r = await client.get("/cases?status=open")
    assert r.headers["location"] == "/login?next=%2Fcases%3Fstatus%3Dopen"
    case = cases["dispatched"]
    r = await client.post(f"/cases/{case.id}/cancel", data={"reason": "x", "csrf_token": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert await status_of(app, case.id) == "dispatched"


async def test_login_logout_and_the_old_cookie_is_dead(admin_app: Any, users: Any) -> None:
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=admin_app), base_url="http://console.test")
    r = await login(c, "viewer")
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    cookie = c.cookies.get("gridbot_admin")
    assert cookie and (await c.get("/cases")).status_code == 200
    page = await c.get("/cases")
    r = await c.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login?bye=1"
    c.cookies.set("gridbot_admin", cookie)  # replaying the old cookie does not work
    assert (await c.get("/cases")).status_code == 303
    await c.aclose()


async def test_wrong_password_and_lockout(client: httpx.AsyncClient, users: Any) -> None:
    r = await login(client, "viewer", "wrong password")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    for _ in range(5):
        await login(client, "dispatcher", "nope nope")
    r = await login(client, "dispatcher")  # the right password, but throttled from this address
    assert r.status_code == 429
    r = await login(client, "no-such-user")
    assert r.status_code == 401


async def test_login_form_without_its_token_is_refused(client: httpx.AsyncClient, users: Any) -> None:
    r = await client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403 and "gridbot_admin" not in r.cookies


async def test_login_never_redirects_off_site(client: httpx.AsyncClient, users: Any) -> None:
    page = await client.get("/login")
    r = await client.post("/login", data={"username": "viewer", "password": PASSWORD,
                                          "csrf_token": csrf_of(page.text), "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_form_without_csrf_token_is_refused(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    c = await logged_in(admin_app, "dispatcher")
    case = cases["dispatched"]
    r = await c.post(f"/cases/{case.id}/cancel", data={"reason": "没有令牌"})
    assert r.status_code == 403 and "安全令牌" in r.text
    r = await c.post(f"/cases/{case.id}/cancel", data={"reason": "假令牌", "csrf_token": "forged"})
    assert r.status_code == 403
    assert await status_of(app, case.id) == "dispatched"
    # Another session's token is not this session's token.
    other = await logged_in(admin_app, "admin")
    foreign = csrf_of((await other.get("/cases")).text)
    r = await c.post(f"/cases/{case.id}/cancel", data={"reason": "别人的令牌", "csrf_token": foreign})
    assert r.status_code == 403
    assert await status_of(app, case.id) == "dispatched"
    await c.aclose()
    await other.aclose()


async def test_viewer_cannot_act(admin_app: Any, app: Any, users: Any, cases: Any) -> None:
    c = await logged_in(admin_app, "viewer")
    case = cases["dispatched"]
    page = await c.get(f"/cases/{case.id}")
    assert page.status_code == 200
    assert f'action="/cases/{case.id}/reassign"' not in page.text
    assert "只读账号" in page.text
    token = csrf_of(page.text)  # the logout form's token: valid, but the role is not
    for action, data in (("reassign", {"unit_id": "hw-chengqu"}), ("cancel", {"reason": "x"}),
                         ("extend", {"hours": "4", "reason": "x"}), ("recategorise", {"category": "garbage"})):
        r = await c.post(f"/cases/{case.id}/{action}", data={**data, "csrf_token": token})
        assert r.status_code == 403, action
        assert "只读" in r.text
    assert await status_of(app, case.id) == "dispatched"
    assert (await c.get("/config/users")).status_code == 403
    r = await c.post("/config/invites", data={"purpose": "unit_member", "target_unit": "hw-chengqu",
                                              "csrf_token": token})
    assert r.status_code == 403
    await c.aclose()


async def test_console_users_act_through_a_linked_member(app: Any, clock: Any, users: Any) -> None:
    dispatcher = users["dispatcher"]
    assert dispatcher.tg_id is None and dispatcher.member_id is not None  # no Telegram id needed
    assert dispatcher.actor("admin") == Actor(dispatcher.member_id, "dispatcher", "admin")
    assert users["viewer"].tg_id is None and users["viewer"].member_id is None
    assert users["viewer"].actor("admin") is None  # read-only
    async with app.uow() as uow:
        member = await uow.session.scalar(select(MemberRow).where(MemberRow.id == dispatcher.member_id))
        assert member.roles == ["dispatcher"] and member.name == "dispatcher-用户"
        assert member.ref == "console-dispatcher" and member.tg_id is None
    linked = await create_user(app.uow(), "tg-dispatcher", PASSWORD, "dispatcher", clock.now(),
                               link_tg=400001)
    async with app.uow() as uow:
        assert linked.tg_id == 400001 and (await uow.members.by_tg(400001)).id == linked.member_id


async def test_console_member_gets_no_outbox_rows(app: Any, users: Any, cases: Any) -> None:
    async with app.uow() as uow:
        chats = set((await uow.session.scalars(select(OutboxRow.chat_id))).all())
    assert not any(u.tg_id in chats for u in users.values() if u.tg_id is not None)


async def test_only_admins_manage_accounts(admin_app: Any, app: Any, users: Any) -> None:
    c = await logged_in(admin_app, "admin")
    page = await c.get("/config/users")
    assert page.status_code == 200 and "dispatcher-用户" in page.text
    r = await c.post("/config/users", data={"username": "new-viewer", "password": PASSWORD,
                                            "role": "viewer", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert "已创建账号 new-viewer" in (await c.get("/config/users")).text
    fresh = await logged_in(admin_app, "new-viewer")
    assert (await fresh.get("/cases")).status_code == 200
    # Disabling an account ends its sessions at once.
    r = await c.post(f"/config/users/{users['viewer'].id}/active",
                     data={"active": "0", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    viewer = await logged_in_or_none(admin_app, "viewer")
    assert viewer is None
    d = await logged_in(admin_app, "dispatcher")
    assert (await d.get("/config/users")).status_code == 403
    for x in (c, fresh, d):
        await x.aclose()


async def logged_in_or_none(admin_app: Any, username: str) -> httpx.AsyncClient | None:
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=admin_app), base_url="http://console.test")
    r = await login(c, username)
    if r.status_code != 303:
        await c.aclose()
        return None
    return c
