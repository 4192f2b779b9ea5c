"""The web plumbing every page shares: templates and their filters, the session and CSRF
dependencies, flash messages, security headers, error pages."""

from __future__ import annotations

import hmac
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import texts
from admin import accounts
from admin.accounts import SessionInfo
from dispatch.domain.grids import LEVEL_ZH
from dispatch.service.app import App

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SESSION_COOKIE = "gridbot_admin"
LOGIN_COOKIE = "gridbot_admin_login"  # double-submit token for the login form
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class CsrfFailed(Exception):
    pass


def gb(request: Request) -> App:
    return request.app.state.gridbot  # type: ignore[no-any-return]


def now(request: Request) -> datetime:
    return gb(request).clock.now()


# -- session and CSRF ---------------------------------------------------------------------------
async def current(request: Request) -> SessionInfo:
    """The logged-in session (else → login page). Unsafe methods must carry the session's
    CSRF token in the form field `csrf_token` (or the X-CSRF-Token header)."""
    app = gb(request)
    info = await accounts.session_for(app.uow(), request.cookies.get(SESSION_COOKIE, ""),
                                      app.clock.now(), pop_flash=False)
    if info is None:
        raise LoginRequired()
    if request.method not in SAFE_METHODS:
        token = request.headers.get("x-csrf-token", "")
        if not token:
            form = await request.form()
            token = str(form.get("csrf_token") or "")
        if not token or not hmac.compare_digest(token.encode(), info.csrf_token.encode()):
            raise CsrfFailed()
    request.state.session = info
    return info


def require(role: str) -> Any:
    async def dependency(info: Annotated[SessionInfo, Depends(current)]) -> SessionInfo:
        if not info.user.can(role):
            raise Forbidden(info.user.role)
        return info

    return Depends(dependency)


VIEWER = require("viewer")
DISPATCHER = require("dispatcher")
ADMIN = require("admin")


async def flash(request: Request, kind: str, message: str) -> None:
    info: SessionInfo | None = getattr(request.state, "session", None)
    if info is not None:
        await accounts.add_flash(gb(request).uow(), info.token_hash, kind, message)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str:
    """Only local paths: never redirect to another site after login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


# -- templates ---------------------------------------------------------------------------------
templates = Jinja2Templates(directory=str(TEMPLATES))
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True


def _fmt_dt(value: datetime | None, tz: str = "Asia/Shanghai", fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return texts.ADMIN["none"]
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def _pct(value: float | None, digits: int = 1) -> str:
    return texts.ADMIN["none"] if value is None else f"{value * 100:.{digits}f}%"


def _num(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _qs(params: dict[str, Any], **extra: Any) -> str:
    merged = {**params, **extra}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "", False)})


def _isotime(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


env.filters["pct"] = _pct
env.filters["isotime"] = _isotime
env.filters["num"] = _num
env.globals.update(
    T=texts.ADMIN, STATUS_ZH=texts.STATUS_ZH, ROLE_ZH=texts.ROLE_ZH, RATING_ZH=texts.RATING_ZH,
    PRIORITY_ZH=texts.PRIORITY_ZH, ADMIN_ROLE_ZH=texts.ADMIN_ROLE_ZH, ACTION_ZH=texts.ADMIN_ACTION_ZH,
    CHANNEL_ZH=texts.ADMIN_CHANNEL_ZH, ACTOR_ROLE_ZH=texts.ADMIN_ACTOR_ROLE_ZH,
    INVITE_PURPOSE_ZH=texts.ADMIN_INVITE_PURPOSE_ZH,
    LEVEL_ZH=LEVEL_ZH, ASSESS_COLUMNS=texts.ASSESS_COLUMNS, texts=texts, qs=_qs, quote=quote,
)


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    app = gb(request)
    info: SessionInfo | None = getattr(request.state, "session", None)
    tz = app.settings.timezone
    ctx: dict[str, Any] = {
        "user": info.user if info else None,
        "csrf": info.csrf_token if info else "",
        "flash": info.flash if info else [],
        "registry": app.registry,
        "tz": tz,
        "now": app.clock.now(),
        "dt": lambda v, fmt="%Y-%m-%d %H:%M": _fmt_dt(v, tz, fmt),
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


async def render_page(request: Request, name: str, context: dict[str, Any] | None = None,
                      status_code: int = 200) -> HTMLResponse:
    """Render, and drop the flash messages it showed."""
    info: SessionInfo | None = getattr(request.state, "session", None)
    if info is not None and info.flash:
        info = await accounts.session_for(gb(request).uow(), request.cookies.get(SESSION_COOKIE, ""),
                                          now(request), pop_flash=True) or info
        request.state.session = info
    return render(request, name, context, status_code)


def error_page(request: Request, message: str, status_code: int) -> HTMLResponse:
    return render(request, "error.html", {"message": message}, status_code)


# -- security headers ------------------------------------------------------------------------
class SecurityHeaders:
    """Pure ASGI middleware: CSP (no inline script at all), no sniffing, no framing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in ((b"content-security-policy", CSP.encode()),
                             (b"x-content-type-options", b"nosniff"),
                             (b"x-frame-options", b"DENY"),
                             (b"referrer-policy", b"same-origin")):
                    if k not in names:
                        headers.append((k, v))
                if scope["path"].startswith("/static/") is False and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_secure(request: Request) -> bool:
    """GRIDBOT_COOKIE_SECURE if set; else whether this request came in over https (behind a
    proxy, as uvicorn sees it through the forwarded headers it trusts)."""
    setting = gb(request).settings.cookie_secure
    return request.url.scheme == "https" if setting is None else setting


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=cookie_secure(request), path="/",
                        max_age=int(accounts.SESSION_IDLE.total_seconds()) * 14)
