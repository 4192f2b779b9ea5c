"""The Open311 GeoReport v2 API under /open311/v2/: services, service definitions, service
requests (GET and POST), single requests and tokens, each in JSON or XML.

Errors are the spec's `[{"code", "description"}]` (or `<errors><error>…`) with the HTTP
status as the code: 400 bad input, 403 missing or revoked api_key, 404 unknown service,
request or token, 429 over the key's rate limit. Every request is audit-logged with the name
of its key (none for anonymous reads); the key itself is never logged."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlparse

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api import views
from api.formats import ApiError, render, render_error, split_format
from api.ratelimit import TokenBuckets
from dispatch.domain.errors import DomainError
from dispatch.service.app import App
from dispatch.service.cases import MAX_DESCRIPTION
from dispatch.service.open311 import ApiKey, Open311, Requester, statuses_for

log = logging.getLogger(__name__)
BASE = "/open311/v2"
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


def _one(form: dict[str, str], name: str, limit: int = 200) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise ApiError(400, f"{name} longer than {limit} characters")
    return value or None


def _w3(value: str, name: str, tz: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise ApiError(400, f"{name} {value!r} is not a W3C datetime (e.g. 2026-11-01T00:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _float(value: str, name: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise ApiError(400, f"{name} {value!r} is not a number") from None
    if not math.isfinite(f):
        raise ApiError(400, f"{name} {value!r} is not a number")
    return f


UNAUDITED = frozenset({"/healthz", "/readyz", "/metrics"})  # mounted by the process (gridbot/ops)


def create_api_app(app: App, *, rate: float = 10.0, burst: float = 100.0) -> FastAPI:
    """`rate` requests per second per key (or per client address for anonymous reads), in
    bursts of up to `burst`."""
    api = FastAPI(title="gridbot Open311 GeoReport v2", docs_url=None, redoc_url=None, openapi_url=None)
    open311 = Open311(app.service, app.uow)
    buckets = TokenBuckets(rate, burst)
    tz = app.settings.tz

    async def params(request: Request) -> dict[str, str]:
        out = {k: v for k, v in request.query_params.items()}
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if ctype.startswith("application/json"):
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(400, "the body is not valid JSON") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "the body must be a JSON object")
                out.update({str(k): "" if v is None else str(v) for k, v in body.items()})
            elif ctype.startswith("multipart/"):
                form = await request.form()
                out.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:  # urlencoded; UTF-8 whether percent-encoded or sent raw
                try:
                    text = (await request.body()).decode("utf-8")
                except UnicodeDecodeError:
                    raise ApiError(400, "the body is not UTF-8") from None
                out.update(parse_qsl(text, keep_blank_values=True))
        return out

    async def authorise(request: Request, form: dict[str, str], required: bool) -> ApiKey | None:
        key = await open311.check_key(form.get("api_key", "").strip())
        if key is None and (required or form.get("api_key")):
            raise ApiError(403, "a valid api_key is required" if required else "invalid or revoked api_key")
        request.state.key_name = key.name if key else None
        who = f"key:{key.name}" if key else f"ip:{request.client.host if request.client else '?'}"
        wait = buckets.take(who)
        if wait > 0:
            request.state.retry_after = str(math.ceil(wait))
            raise ApiError(429, f"rate limit exceeded: retry in {math.ceil(wait)} s")
        return key

    @api.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        fmt = getattr(request.state, "fmt", exc.fmt)
        retry = getattr(request.state, "retry_after", None)
        return render_error(ApiError(exc.status, exc.description, fmt),
                            {"Retry-After": retry} if exc.status == 429 and retry else None)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return render_error(ApiError(exc.status_code, str(exc.detail)))

    @api.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("open311: %s %s", request.method, request.url.path)
        return render_error(ApiError(500, "internal error"))

    @api.middleware("http")
    async def audit(request: Request, call_next: Any) -> Response:
        request.state.key_name = None
        if request.url.path in UNAUDITED:  # health checks and scrapes every few seconds
            return cast(Response, await call_next(request))
        try:
            response: Response = await call_next(request)
        except Exception:  # the exception handler answered; still log the request
            response = render_error(ApiError(500, "internal error"))
        query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "api_key"])
        path = request.url.path + (f"?{query}" if query else "")
        try:
            await open311.audit(
                key_name=getattr(request.state, "key_name", None), method=request.method[:8],
                path=path[:500], status=response.status_code,
                client=(request.client.host if request.client else None),
            )
        except Exception:  # auditing must not take the answer down with it
            log.exception("open311: audit log failed")
        return response

    async def open_read(request: Request, name: str) -> tuple[str, str]:
        """A read of one resource: its name and format (errors answer in that format); a key
        is optional, and counted against its own limit when given."""
        stem, fmt = split_format(name)
        request.state.fmt = fmt
        await authorise(request, await params(request), required=False)
        return stem, fmt

    # -- services --------------------------------------------------------------------------
    @api.get(BASE + "/{name}")
    async def collection(request: Request, name: str) -> Response:
        stem, fmt = split_format(name)
        request.state.fmt = fmt
        if stem == "services":
            await authorise(request, await params(request), required=False)
            cats = app.registry.taxonomy.categories
            return render([views.service(c) for c in cats], fmt, "services", "service")
        if stem == "requests":
            return await list_requests(request, fmt, await params(request))
        raise ApiError(404, f"no such resource {stem!r}", fmt)

    @api.get(BASE + "/services/{name}")
    async def service_definition(request: Request, name: str) -> Response:
        code, fmt = await open_read(request, name)
        taxonomy = app.registry.taxonomy
        if not taxonomy.has_category(code):
            raise ApiError(404, f"unknown service_code {code!r}", fmt)
        return render(views.definition(taxonomy.category(code)), fmt, "service_definition", None)

    # -- requests --------------------------------------------------------------------------
    async def list_requests(request: Request, fmt: str, form: dict[str, str]) -> Response:
        await authorise(request, form, required=False)
        if form.get("service_request_id", "").strip():
            numbers = [n.strip() for n in form["service_request_id"].split(",") if n.strip()]
            found, media = await open311.find(numbers=numbers[:MAX_RESULTS])
        else:
            codes = [c.strip() for c in form.get("service_code", "").split(",") if c.strip()]
            unknown = [c for c in codes if not app.registry.taxonomy.has_category(c)]
            if unknown:
                raise ApiError(400, f"unknown service_code {unknown[0]!r}", fmt)
            start = _w3(form["start_date"], "start_date", tz) if form.get("start_date") else None
            end = _w3(form["end_date"], "end_date", tz) if form.get("end_date") else None
            if start is None and end is None:
                end = app.clock.now()
            if start is None:
                assert end is not None
                start = end - WINDOW
            if end is None:
                end = start + WINDOW
            if end < start:
                raise ApiError(400, "end_date is before start_date", fmt)
            if end - start > WINDOW:
                raise ApiError(400, "start_date to end_date may not span more than 90 days", fmt)
            statuses: list[str] | None = None
            wanted = {s.strip().lower() for s in form.get("status", "").split(",") if s.strip()}
            if wanted - {"open", "closed"}:
                raise ApiError(400, f"status must be open or closed, not {sorted(wanted)[0]!r}", fmt)
            if len(wanted) == 1:
                statuses = statuses_for(wanted.pop())
            found, media = await open311.find(categories=codes or None, start=start, end=end,
                                              statuses=statuses, limit=MAX_RESULTS)
        registry = app.registry
        body = [views.request(c, u, media.get(c.id or 0), registry, tz) for c, u in found]
        return render(body, fmt, "service_requests", "request")

    @api.get(BASE + "/requests/{name}")
    async def one_request(request: Request, name: str) -> Response:
        number, fmt = await open_read(request, name)
        found, media = await open311.find(numbers=[number])
        if not found:
            raise ApiError(404, f"no service request {number!r}", fmt)
        case, updated = found[0]
        body = [views.request(case, updated, media.get(case.id or 0), app.registry, tz)]
        return render(body, fmt, "service_requests", "request")

    @api.get(BASE + "/tokens/{name}")
    async def token(request: Request, name: str) -> Response:
        token_id, fmt = await open_read(request, name)
        number = await open311.token(token_id)
        if number is None:
            raise ApiError(404, f"no token {token_id!r}", fmt)
        return render([{"service_request_id": number, "token": token_id}], fmt, "service_requests", "request")

    @api.post(BASE + "/{name}")
    async def post_request(request: Request, name: str) -> Response:
        stem, fmt = split_format(name)
        request.state.fmt = fmt
        if stem != "requests":
            raise ApiError(404 if stem != "services" else 405, f"cannot POST {stem!r}", fmt)
        form = await params(request)
        key = await authorise(request, form, required=True)
        assert key is not None
        code = (form.get("service_code") or "").strip()
        if not code:
            raise ApiError(400, "service_code is required", fmt)
        if not app.registry.taxonomy.has_category(code):
            raise ApiError(400, f"unknown service_code {code!r}", fmt)
        description = (form.get("description") or "").strip()
        if len(description) > MAX_DESCRIPTION:
            raise ApiError(400, f"description longer than {MAX_DESCRIPTION} characters", fmt)
        lat_s, lon_s = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
        address = _one(form, "address_string", 500)
        address_id = _one(form, "address_id", 64)
        lat = lon = None
        if lat_s or lon_s:
            if not (lat_s and lon_s):
                raise ApiError(400, "lat and long must be given together", fmt)
            lat, lon = _float(lat_s, "lat"), _float(lon_s, "long")
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ApiError(400, "lat/long out of range", fmt)
        elif address_id:
            point = open311.grid_point(address_id)
            if point is None:
                raise ApiError(400, f"unknown address_id {address_id!r} (a grid id)", fmt)
            lat, lon = point
        elif not address:
            raise ApiError(400, "a location is required: lat and long, address_string or address_id", fmt)
        media_url = _one(form, "media_url", 1000)
        if media_url and urlparse(media_url).scheme not in ("http", "https"):
            raise ApiError(400, "media_url must be an http(s) URL", fmt)
        requester = Requester(
            first_name=_one(form, "first_name", 100), last_name=_one(form, "last_name", 100),
            email=_one(form, "email", 200), phone=_one(form, "phone", 40),
            device_id=_one(form, "device_id", 100), account_id=_one(form, "account_id", 100),
        )
        try:
            case, token_id = await open311.submit(
                key, category=code, description=description, lat=lat, lon=lon, address=address,
                requester=requester, media_url=media_url,
            )
        except DomainError as exc:
            raise ApiError(400, str(exc), fmt) from None
        body = [{"service_request_id": case.number, "token": token_id, "service_notice": None,
                 "account_id": requester.account_id}]
        return render(body, fmt, "service_requests", "request")

    return api


def make_server(api: FastAPI, host: str, port: int, **config: Any) -> Any:
    """`config`: more uvicorn options (`log_config=None`: its loggers go to the root logger)."""
    import uvicorn

    config.setdefault("log_level", "warning")
    config.setdefault("access_log", False)
    return uvicorn.Server(uvicorn.Config(api, host=host, port=port, lifespan="off", **config))


async def serve(app: App, host: str = "127.0.0.1", port: int = 8311, **kwargs: Any) -> None:
    await make_server(create_api_app(app, **kwargs), host, port).serve()
