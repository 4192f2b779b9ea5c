"""Login and logout. The login form carries a double-submit token (a random cookie echoed
in a hidden field), so a foreign site cannot log a browser into some other account."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

import texts
from admin import accounts
from admin.accounts import SessionInfo
from admin.throttle import LoginThrottle
from admin.web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    VIEWER,
    cookie_secure,
    gb,
    now,
    redirect,
    render,
    safe_next,
    set_session_cookie,
)

router = APIRouter()


def _login_form(request: Request, error: str = "", status_code: int = 200, notice: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {
        "login_token": token, "next": safe_next(request.query_params.get("next")),
        "error": error, "notice": notice}, status_code)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=cookie_secure(request), path="/login", max_age=3600)
    return response


@router.get("/login")
async def login_page(request: Request) -> Response:
    notice = texts.ADMIN["logged_out"] if request.query_params.get("bye") else ""
    return _login_form(request, notice=notice)


@router.post("/login")
async def login(request: Request, username: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/") -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not csrf_token or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return _login_form(request, texts.ADMIN["csrf_failed"], 403)
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else ""
    at = now(request)
    wait = throttle.attempt(address, username, at)
    result = await accounts.login(gb(request).uow(), username, password, at, refused=wait is not None)
    if wait is not None:
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        return _login_form(request, texts.ADMIN["login_throttled"].format(minutes=minutes), 429)
    if result is None:
        return _login_form(request, texts.ADMIN["login_failed"], 401)
    throttle.succeeded(address, username)
    token, _user = result
    response = redirect(safe_next(next))
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_COOKIE, path="/login", secure=cookie_secure(request), httponly=True)
    return response


@router.post("/logout")
async def logout(request: Request, info: SessionInfo = VIEWER) -> Response:
    await accounts.logout(gb(request).uow(), info.token_hash)
    response = redirect("/login?bye=1")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=cookie_secure(request), httponly=True)
    return response
