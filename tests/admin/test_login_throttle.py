"""Login throttling: per (address, account) and per address, never a per-account lock that a
stranger can trigger; one password-hash verification in every branch."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from admin import accounts
from admin.throttle import ADDRESS_FREE, PAIR_FREE
from tests.admin.conftest import PASSWORD, login


def client_from(admin_app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=admin_app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://console.test")


async def test_a_strangers_failures_do_not_lock_the_real_user_out(admin_app: Any, users: Any) -> None:
    async with client_from(admin_app, "203.0.113.66") as stranger, \
            client_from(admin_app, "198.51.100.7") as owner:
        for _ in range(3 * PAIR_FREE):
            r = await login(stranger, "admin", "guess guess")
            assert r.status_code in (401, 429)
        assert (await login(stranger, "admin")).status_code == 429  # he is slowed down…
        r = await login(owner, "admin")  # …the real admin, from his own address, is not
        assert r.status_code == 303 and r.headers["location"] == "/cases"


async def test_throttled_attempts_are_refused_even_with_the_right_password(
        admin_app: Any, users: Any, clock: Any) -> None:
    async with client_from(admin_app, "203.0.113.5") as c:
        for _ in range(PAIR_FREE):
            assert (await login(c, "viewer", "wrong wrong")).status_code == 401
        r = await login(c, "viewer")
        assert r.status_code == 429 and "登录失败次数过多" in r.text and "gridbot_admin" not in r.cookies
        clock.advance(seconds=31)  # the first delay is over
        assert (await login(c, "viewer")).status_code == 303
        # the delay grows: five more failures wait 30 s, the next 60 s
        for _ in range(PAIR_FREE):
            await login(c, "viewer", "wrong wrong")
        clock.advance(seconds=31)
        assert (await login(c, "viewer", "wrong wrong")).status_code == 401
        clock.advance(seconds=31)
        assert (await login(c, "viewer")).status_code == 429
        clock.advance(seconds=31)
        assert (await login(c, "viewer")).status_code == 303


async def test_one_address_trying_many_accounts_is_slowed_down(admin_app: Any, users: Any) -> None:
    async with client_from(admin_app, "203.0.113.9") as c, client_from(admin_app, "192.0.2.1") as other:
        for i in range(ADDRESS_FREE):
            assert (await login(c, f"user{i}", "guess guess")).status_code == 401
        assert (await login(c, "dispatcher")).status_code == 429  # an account it never tried
        assert (await login(other, "dispatcher")).status_code == 303


@pytest.mark.parametrize("case", ["unknown user", "inactive user", "wrong password", "throttled", "correct"])
async def test_every_attempt_verifies_one_password_hash(
        admin_app: Any, app: Any, users: Any, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    verify = accounts._verify

    def counting(hashed: str, password: str) -> bool:
        calls.append(hashed)
        return verify(hashed, password)

    async with client_from(admin_app, "203.0.113.77") as c:
        if case == "throttled":
            for _ in range(PAIR_FREE):
                await login(c, "dispatcher", "wrong wrong")
        if case == "inactive user":
            await accounts.set_active(app.uow(), users["viewer"].id, False)
        monkeypatch.setattr(accounts, "_verify", counting)
        username, password = {
            "unknown user": ("nobody", PASSWORD), "inactive user": ("viewer", PASSWORD),
            "wrong password": ("dispatcher", "wrong wrong"), "throttled": ("dispatcher", PASSWORD),
            "correct": ("dispatcher", PASSWORD)}[case]
        r = await login(c, username, password)
    assert r.status_code == {"throttled": 429, "correct": 303}.get(case, 401)
    assert len(calls) == 1, calls
    if case in ("unknown user", "inactive user"):
        assert calls == [accounts._DUMMY_HASH]
