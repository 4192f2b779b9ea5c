"""`create_admin_app(app)`: the console as a FastAPI app over a bootstrapped gridbot `App`;
`serve(...)` runs it inside the caller's event loop (uvicorn `Server.serve()`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import texts
from admin import web
from admin.photos import BotApiPhotos, PhotoSource, placeholder_svg
from admin.routes import auth, cases, config, dashboard, deliveries, hotline, intake, patrols, policy
from admin.throttle import LoginThrottle
from admin.uploads import UploadStore
from admin.web import VIEWER, CsrfFailed, Forbidden, LoginRequired, error_page, redirect
from dispatch.domain.errors import DomainError
from dispatch.service.app import App

log = logging.getLogger(__name__)


def default_photos(app: App) -> PhotoSource | None:
    token = app.settings.telegram_bot_token
    if token is None or not token.get_secret_value():
        return None
    return BotApiPhotos(app.settings.telegram_api, token.get_secret_value(),
                        Path(app.settings.data_dir) / "admin-photos")


def create_admin_app(app: App, *, photos: PhotoSource | None = None, use_bot_photos: bool = True,
                     bot_username: str | None = None, root_path: str = "",
                     report_cache_seconds: float = 0.0, classifier: Any = None) -> FastAPI:
    """The console. `photos`: where transcript photos come from (default: the Bot API when a
    token is configured; `use_bot_photos=False` for placeholders only). `report_cache_seconds`:
    how long the dashboard may reuse a month's assessment figures (0: always fresh).
    `classifier`: the NLU, loaded once by the caller, for the intake's category suggestion
    (None: the dispatcher picks the category)."""
    api = FastAPI(title=texts.ADMIN["app_title"], docs_url=None, redoc_url=None, openapi_url=None,
                  root_path=root_path)
    api.state.gridbot = app
    api.state.photos = photos if photos is not None else (default_photos(app) if use_bot_photos else None)
    api.state.bot_username = bot_username
    api.state.report_cache_seconds = report_cache_seconds
    api.state.report_cache = {}
    api.state.login_throttle = LoginThrottle()
    api.state.classifier = classifier
    api.state.uploads = UploadStore(Path(app.settings.data_dir) / "console-photos")
    api.add_middleware(web.SecurityHeaders)
    api.mount("/static", StaticFiles(directory=str(web.STATIC)), name="static")
    api.include_router(auth.router)
    api.include_router(dashboard.router)
    api.include_router(cases.router)
    api.include_router(config.router)
    api.include_router(policy.router)
    api.include_router(deliveries.router)
    api.include_router(hotline.router)
    api.include_router(patrols.router)
    api.include_router(intake.router)

    @api.get("/photos/{file_id}")
    async def photo(request: Request, file_id: str, info: Any = VIEWER) -> Response:
        source: PhotoSource | None = request.app.state.photos
        got = request.app.state.uploads.fetch(file_id)
        if got is None and source is not None and len(file_id) <= 256:
            try:
                got = await source.fetch(file_id)
            except Exception:  # a broken source shows the placeholder, never a 500
                log.exception("photo %s: fetch failed", file_id)
        if got is None:
            return Response(placeholder_svg(file_id), media_type="image/svg+xml",
                            headers={"Cache-Control": "private, max-age=60"})
        data, mime = got
        return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=86400"})

    @api.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"  # never replay a form after login
        return redirect(f"/login?next={quote(target, safe='')}")

    @api.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        role = texts.ADMIN_ROLE_ZH.get(exc.role, exc.role)
        return error_page(request, texts.ADMIN["forbidden"].format(role=role), 403)

    @api.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return error_page(request, texts.ADMIN["csrf_failed"], 403)

    @api.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return error_page(request, texts.ADMIN["err_prefix"] + str(exc), 400)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, texts.ADMIN["not_found"], 404)
        return error_page(request, str(exc.detail), exc.status_code)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, texts.ADMIN["not_found"], 404 if request.method == "GET" else 400)

    return api


def make_server(admin: FastAPI, host: str = "127.0.0.1", port: int = 8000, **config: Any) -> Any:
    """A uvicorn Server for `await server.serve()`; set `server.should_exit = True` to stop."""
    import uvicorn

    config.setdefault("log_level", "info")
    config.setdefault("proxy_headers", True)
    return uvicorn.Server(uvicorn.Config(admin, host=host, port=port, lifespan="off", **config))


async def serve(app: App, host: str = "127.0.0.1", port: int = 8000, *,
                forwarded_allow_ips: str = "127.0.0.1", **kwargs: Any) -> None:
    """Run the console in the current event loop until cancelled or told to exit. The
    X-Forwarded-For/-Proto headers are trusted from `forwarded_allow_ips` only."""
    server = make_server(create_admin_app(app, **kwargs), host, port, forwarded_allow_ips=forwarded_allow_ips)
    await server.serve()

