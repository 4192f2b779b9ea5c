"""Page/driver endpoints for live locations (start, move, stop) and track files to replay.

    POST /sandbox/api/live        {user_id, chat_id, latitude, longitude, live_period,
                                   heading?, horizontal_accuracy?}        -> the message
    POST /sandbox/api/live/move   {user_id, chat_id, message_id, latitude, longitude,
                                   heading?, horizontal_accuracy?}        -> the edited message
    POST /sandbox/api/live/stop   {user_id, chat_id, message_id}          -> the final edit
    POST /sandbox/api/tracks      a file (multipart) or {text, name}      -> {points, timed,
                                                                              duration}
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .models import SandboxError
from .state import World
from .tracks import TrackError, parse_track

Handler = Callable[[web.Request], Awaitable[Any]]
Wrap = Callable[[Callable[[web.Request], Awaitable[Any]]], Handler]


def _required(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise SandboxError(f"{name} is required")
    return value


def _optional(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    return None if value is None or value == "" else kind(value)


class LiveEndpoints:
    def __init__(self, world: World, read_body: Callable[[web.Request],
                                                         Awaitable[dict[str, Any]]]) -> None:
        self.world = world
        self.read_body = read_body

    def routes(self, prefix: str, wrap: Wrap) -> list[web.AbstractRouteDef]:
        return [
            web.post(f"{prefix}/live", wrap(self.post_start)),
            web.post(f"{prefix}/live/move", wrap(self.post_move)),
            web.post(f"{prefix}/live/stop", wrap(self.post_stop)),
            web.post(f"{prefix}/tracks", wrap(self.post_track)),
        ]

    async def _who(self, request: web.Request) -> tuple[dict[str, Any], int, int]:
        body = await self.read_body(request)
        user_id = int(_required(body, "user_id"))
        return body, user_id, int(body.get("chat_id") or user_id)

    async def post_start(self, request: web.Request) -> dict[str, Any]:
        body, user_id, chat_id = await self._who(request)
        return self.world.start_live(
            user_id, chat_id, float(_required(body, "latitude")),
            float(_required(body, "longitude")), int(_required(body, "live_period")),
            heading=_optional(body, "heading", int),
            horizontal_accuracy=_optional(body, "horizontal_accuracy", float))

    async def post_move(self, request: web.Request) -> dict[str, Any]:
        body, user_id, chat_id = await self._who(request)
        return self.world.move_live(
            user_id, chat_id, int(_required(body, "message_id")),
            float(_required(body, "latitude")), float(_required(body, "longitude")),
            heading=_optional(body, "heading", int),
            horizontal_accuracy=_optional(body, "horizontal_accuracy", float))

    async def post_stop(self, request: web.Request) -> dict[str, Any]:
        body, user_id, chat_id = await self._who(request)
        return self.world.stop_live(user_id, chat_id, int(_required(body, "message_id")))

    async def post_track(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            upload = next((v for v in form.values() if isinstance(v, web.FileField)), None)
            if upload is None:
                raise SandboxError("no track file in the form")
            name, data = upload.filename or "", upload.file.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise SandboxError("the track file is not UTF-8 text") from None
        else:
            body = await self.read_body(request)
            text, name = str(body.get("text") or ""), str(body.get("name") or "")
        try:
            points = parse_track(text, name)
        except TrackError as error:
            raise SandboxError(str(error)) from None
        timed = points[0].t is not None
        return {"points": [p.to_dict() for p in points], "timed": timed,
                "duration": points[-1].t if timed else None}
