"""The Bot API over HTTP: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``.

Requests may be GET with a query string or POST with JSON, url-encoded or multipart bodies,
like Telegram's. Every call passes through fault injection (:mod:`faults`) before it runs.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import Counter
from functools import partial
from typing import Any

from aiohttp import web

from . import api_core, api_live, api_messages
from .api_messages import Call
from .errors import INTERNAL, NOT_FOUND, UNAUTHORIZED, BotAPIError, bad_request, too_many_requests
from .faults import FaultInjector, RateLimiter
from .params import Params, Upload
from .state import World

log = logging.getLogger(__name__)
_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def _reply(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _error(error: BotAPIError) -> web.Response:
    return _reply(error.to_json(), error.code)


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering: the client sees a disconnect."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


class BotAPI:
    def __init__(self, world: World, faults: FaultInjector, limiter: RateLimiter) -> None:
        self.world = world
        self.faults = faults
        self.limiter = limiter
        self.methods = {**api_messages.METHODS, **api_live.METHODS, **api_core.METHODS}
        self.calls: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self.handle),
            web.get("/file/bot{token}/{path:.+}", self.download),
        ]

    async def call(self, method: str, params: Params) -> Any:
        """Run one Bot API method in-process (no faults); raises :class:`BotAPIError`."""
        fn = self.methods.get(method.lower())
        if fn is None:
            raise NOT_FOUND
        self.calls[fn.__name__] += 1
        result = fn(Call(self.world, params, self.limiter))
        if inspect.isawaitable(result):
            result = await result
        return result

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.config.token:
            return _error(UNAUTHORIZED)
        method = request.match_info["method"]
        if method.lower() not in self.methods:
            return _error(NOT_FOUND)
        try:
            params = await read_params(request)  # read first: a delayed call outlives its client
        except BotAPIError as error:
            return _error(error)
        decision = self.faults.decide(method)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.outcome == "drop":
            return _drop(request)
        if decision.outcome == "429":
            return _error(too_many_requests(self.faults.config.retry_after))
        if decision.outcome == "500":
            return _error(INTERNAL)
        try:
            result = await self.call(method, params)
        except BotAPIError as error:
            self.errors[error.code] += 1
            return _error(error)
        except Exception:  # a sandbox bug must still answer like a server
            log.exception("sandbox failed on %s", method)
            return _error(INTERNAL)
        if decision.outcome == "drop_after":
            self.faults.lost_answer(method, result)
            return _drop(request)
        return _reply({"ok": True, "result": result})

    async def download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.world.config.token:
            return _error(UNAUTHORIZED)
        record = self.world.files.by_path(request.match_info["path"])
        if record is None:
            return _error(NOT_FOUND)
        return web.Response(body=record.data, content_type=record.mime_type)


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        try:
            if ctype == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                values.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = Upload(value.filename or key,
                                              value.content_type or "application/octet-stream",
                                              value.file.read())
                    else:
                        values[key] = value
        except web.HTTPRequestEntityTooLarge:
            raise BotAPIError(413, "Request Entity Too Large") from None
        except ValueError:
            raise bad_request("can't parse request body") from None
    return Params(values, uploads)
