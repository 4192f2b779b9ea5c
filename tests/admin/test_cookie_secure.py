"""The console's cookies carry `Secure` as GRIDBOT_COOKIE_SECURE says (behind a TLS proxy
uvicorn may see plain http); unset, only when the request came in over https."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dispatch.settings import Settings
from tests.admin.conftest import PASSWORD, csrf_of


async def _cookies(admin_app: Any, base_url: str) -> list[str]:
    """Set-Cookie headers of the login page and of a successful login."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=admin_app), base_url=base_url) as c:
        page = await c.get("/login")
        token = csrf_of(page.text)
        c.cookies.clear()  # a client keeps a Secure cookie from http to itself: send it by hand
        r = await c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token,
                                         "next": "/"}, headers={"cookie": f"gridbot_admin_login={token}"})
        assert r.status_code == 303
        return page.headers.get_list("set-cookie") + r.headers.get_list("set-cookie")


@pytest.mark.parametrize(("setting", "base_url", "secure"), [
    (True, "http://console.internal", True),  # TLS ends at the proxy
    (None, "http://console.test", False),
    (None, "https://console.test", True),
    (False, "https://console.test", False),
])
async def test_cookie_secure_setting(admin_app: Any, app: Any, users: Any, setting: bool | None,
                                     base_url: str, secure: bool) -> None:
    app.settings.cookie_secure = setting
    cookies = await _cookies(admin_app, base_url)
    assert {c.split("=")[0] for c in cookies} >= {"gridbot_admin", "gridbot_admin_login"}
    for cookie in cookies:
        assert ("; secure" in cookie.lower()) is secure, cookie


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_COOKIE_SECURE", "true")
    assert Settings(_env_file=None).cookie_secure is True
    monkeypatch.setenv("GRIDBOT_COOKIE_SECURE", "0")
    assert Settings(_env_file=None).cookie_secure is False
    monkeypatch.delenv("GRIDBOT_COOKIE_SECURE")
    assert Settings(_env_file=None).cookie_secure is None
