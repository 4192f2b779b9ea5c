"""JSON endpoints under ``/sandbox/api`` for the web chat page, test drivers and benchmarks.

Users act here (send text, photos, locations, press buttons); tests also shape the world here
(create users and groups, block the bot, migrate or delete a group, change faults). Answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import web

from .entities import detect_entities, utf16_len
from .errors import BotAPIError
from .events import chat_key, user_key
from .faults import FaultConfig, RateLimitConfig
from .markup import store_upload
from .pagelive import LiveEndpoints
from .params import Upload
from .splitting import LIMIT, split_text
from .state import Message, SandboxError, World

Handler = Callable[[web.Request], Awaitable[Any]]
_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
_DUMMY = {"sticker": ("sticker.webp", "image/webp"), "voice": ("voice.oga", "audio/ogg"),
          "video": ("video.mp4", "video/mp4"), "audio": ("audio.mp3", "audio/mpeg"),
          "animation": ("animation.mp4", "video/mp4"), "video_note": ("note.mp4", "video/mp4"),
          "document": ("document.bin", "application/octet-stream")}


def _endpoint(fn: Callable[..., Awaitable[Any]], world: World) -> Handler:
    """Wrap a handler: JSON envelope, errors, and the event sequence number after the call in
    the ``X-Sandbox-Seq`` header (a driver waits for what the bot does *after* its action)."""

    async def handler(request: web.Request) -> web.Response:
        try:
            result = await fn(request)
        except SandboxError as error:
            return web.json_response({"ok": False, "error": str(error)}, status=error.status,
                                     dumps=_dumps)
        except BotAPIError as error:
            return web.json_response({"ok": False, "error": error.description},
                                     status=error.code, dumps=_dumps)
        except (ValueError, TypeError, KeyError) as error:
            return web.json_response({"ok": False, "error": f"bad request: {error}"},
                                     status=400, dumps=_dumps)
        return web.json_response({"ok": True, "result": result}, dumps=_dumps,
                                 headers={"X-Sandbox-Seq": str(world.events.seq)})
    return handler


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise SandboxError("expected a JSON object")
        return body
    form = await request.post()
    return {k: v for k, v in form.items() if not isinstance(v, web.FileField)}


def _int(value: Any, name: str) -> int:
    if value is None or value == "":
        raise SandboxError(f"{name} is required")
    return int(value)


class PageAPI:
    def __init__(self, world: World, api: Any) -> None:
        self.world = world
        self.api = api  # the BotAPI: faults, limiter, call counters
        self.live = LiveEndpoints(world, _body)

    def routes(self) -> list[web.AbstractRouteDef]:
        r = "/sandbox/api"

        def e(fn: Callable[..., Awaitable[Any]]) -> Handler:
            return _endpoint(fn, self.world)

        return [
            web.get(f"{r}/world", e(self.get_world)),
            web.get(f"{r}/map", e(self.get_map)),
            web.get(f"{r}/chats", e(self.get_chats)),
            web.get(f"{r}/chats/{{chat_id}}/messages", e(self.get_messages)),
            web.get(f"{r}/events", e(self.get_events)),
            web.post(f"{r}/messages", e(self.post_message)),
            web.post(f"{r}/photos", e(self.post_photos)),
            web.post(f"{r}/locations", e(self.post_location)),
            web.post(f"{r}/contacts", e(self.post_contact)),
            *self.live.routes(r, e),
            web.post(f"{r}/media", e(self.post_media)),
            web.post(f"{r}/press", e(self.post_press)),
            web.get(f"{r}/callbacks/{{query_id}}", e(self.get_callback)),
            web.post(f"{r}/seed", e(self.post_seed)),
            web.post(f"{r}/users", e(self.post_user)),
            web.post(f"{r}/users/{{user_id}}/block", e(self.post_block)),
            web.post(f"{r}/users/{{user_id}}/deactivate", e(self.post_deactivate)),
            web.post(f"{r}/groups", e(self.post_group)),
            web.post(f"{r}/groups/{{chat_id}}/members", e(self.post_members)),
            web.post(f"{r}/groups/{{chat_id}}/migrate", e(self.post_migrate)),
            web.post(f"{r}/groups/{{chat_id}}/delete", e(self.post_delete_group)),
            web.post(f"{r}/groups/{{chat_id}}/bot", e(self.post_group_bot)),
            web.get(f"{r}/faults", e(self.get_faults)),
            web.post(f"{r}/faults", e(self.post_faults)),
            web.get(f"{r}/ratelimits", e(self.get_ratelimits)),
            web.post(f"{r}/ratelimits", e(self.post_ratelimits)),
            web.get(f"{r}/stats", e(self.get_stats)),
            web.post(f"{r}/reset", e(self.post_reset)),
            web.get("/sandbox/files/{file_id}", self.get_file),
        ]

    # ------------------------------------------------------------------ reading

    def bot_online(self) -> bool:
        w = self.world
        return (w.webhook is not None or w.updates.pollers > 0
                or w.clock() - w.bot_last_seen < 5.0)

    async def get_world(self, request: web.Request) -> dict[str, Any]:
        w = self.world
        groups = [w.chat_summary(c) for c in w.chats.values() if c.is_group]
        for g in groups:
            g.pop("last_message", None)
        return {"bot": w.bot.to_api(), "users": [u.summary() for u in w.users.values()],
                "groups": groups, "seq": w.events.seq, "bot_online": self.bot_online(),
                "has_map": bool(w.map.get("geojson"))}

    async def get_map(self, request: web.Request) -> dict[str, Any]:
        return self.world.map

    async def get_chats(self, request: web.Request) -> list[dict[str, Any]]:
        user_id = _int(request.query.get("user_id"), "user_id")
        return [self.world.chat_summary(c, user_id) for c in self.world.chats_for(user_id)]

    async def get_messages(self, request: web.Request) -> dict[str, Any]:
        chat = self.world.chat(int(request.match_info["chat_id"]))
        if chat is None:
            raise SandboxError("unknown chat", 404)
        messages = list(chat.messages.values())
        if request.query.get("from_bot") in ("1", "true"):
            messages = [m for m in messages if m["from"]["id"] == self.world.bot.id]
        limit = int(request.query.get("limit", 0) or 0)
        if limit > 0:
            messages = messages[-limit:]
        return {"chat": self.world.chat_summary(chat), "messages": messages,
                "bot_sent": chat.bot_sent}

    async def get_events(self, request: web.Request) -> dict[str, Any]:
        q = request.query
        since = int(q.get("since", 0) or 0)
        if since < 0:
            return {"seq": self.world.events.seq, "events": [], "reset": False,
                    "bot_online": self.bot_online()}
        timeout = min(max(float(q.get("timeout", 0) or 0), 0.0), 30.0)
        keys: list[str] | None = None
        if q.get("user_id"):
            keys = [user_key(int(q["user_id"]))]
        if q.get("chat_id"):
            keys = [*(keys or []), chat_key(int(q["chat_id"]))]
        events, lost = await self.world.events.wait(since, keys, timeout)
        seq = events[-1]["seq"] if events else max(since, 0)
        if lost or since > self.world.events.seq:
            seq = self.world.events.seq
        return {"seq": seq, "events": events, "reset": lost or since > self.world.events.seq,
                "bot_online": self.bot_online()}

    async def get_callback(self, request: web.Request) -> dict[str, Any]:
        query = self.world.callbacks.get(request.match_info["query_id"])
        if query is None:
            raise SandboxError("unknown callback query", 404)
        timeout = min(float(request.query.get("timeout", 0) or 0), 30.0)
        if not query.answered and timeout > 0:
            try:
                await asyncio.wait_for(query.done.wait(), timeout)
            except TimeoutError:
                pass
        return {"id": query.id, "answered": query.answered, "answer": query.answer,
                "data": query.data}

    async def get_file(self, request: web.Request) -> web.StreamResponse:
        record = self.world.files.get(request.match_info["file_id"])
        if record is None:
            raise web.HTTPNotFound()
        return web.Response(body=record.data, content_type=record.mime_type,
                            headers={"Cache-Control": "max-age=86400"})

    # ------------------------------------------------------------------ users act

    async def post_message(self, request: web.Request) -> dict[str, Any] | list[Message]:
        """A text message; with ``split`` a text over 4096 characters becomes several
        messages sent in order, as Telegram's apps send it (the answer is then a list)."""
        body = await _body(request)
        user_id = _int(body.get("user_id"), "user_id")
        chat_id = int(body.get("chat_id") or user_id)
        text = str(body.get("text") or "")
        if not text.strip():
            raise SandboxError("text is empty")
        split = body.get("split") in (True, "1", "true")
        if utf16_len(text) > LIMIT and not split:
            raise SandboxError(f"text is longer than {LIMIT} characters")
        self.world.user_chat(user_id, chat_id)
        reply_to = body.get("reply_to_message_id")
        sent = []
        for i, part in enumerate(split_text(text) if split else [text]):
            fields: dict[str, Any] = {"text": part}
            if entities := detect_entities(part, []):
                fields["entities"] = entities
            sent.append(self.world.user_sends(user_id, chat_id, fields,
                                              int(reply_to) if reply_to and i == 0 else None))
        return sent if split else sent[0]

    async def post_photos(self, request: web.Request) -> list[dict[str, Any]]:
        w = self.world
        fields: dict[str, Any] = {}
        records = []
        if request.content_type == "application/json":
            fields = await _body(request)
            for file_id in fields.get("file_ids") or []:
                record = w.files.get(str(file_id))
                if record is None or record.kind != "photo":
                    raise SandboxError(f"unknown photo {file_id}", 404)
                records.append(record)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    upload = Upload(value.filename or key, value.content_type or "",
                                    value.file.read())
                    records.append(store_upload(w, upload, "photo"))
                else:
                    fields[key] = value
        if not 1 <= len(records) <= 10:
            raise SandboxError("send 1 to 10 photos")
        user_id = _int(fields.get("user_id"), "user_id")
        chat_id = int(fields.get("chat_id") or user_id)
        w.user_chat(user_id, chat_id)
        caption = str(fields.get("caption") or "")
        group_id = w.next_media_group_id() if len(records) > 1 else None
        reply_to = fields.get("reply_to_message_id")
        out = []
        for i, record in enumerate(records):
            payload: dict[str, Any] = {"photo": record.photo_sizes()}
            if group_id:
                payload["media_group_id"] = group_id
            if caption and i == 0:
                payload["caption"] = caption
                if entities := detect_entities(caption, []):
                    payload["caption_entities"] = entities
            out.append(w.user_sends(user_id, chat_id, payload,
                                    int(reply_to) if reply_to and i == 0 else None))
        return out

    async def post_location(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        user_id = _int(body.get("user_id"), "user_id")
        lat, lon = float(body["latitude"]), float(body["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SandboxError("latitude/longitude out of range")
        location = {"latitude": lat, "longitude": lon}
        fields: dict[str, Any] = {"location": location}
        if body.get("title"):
            fields["venue"] = {"location": location, "title": str(body["title"]),
                               "address": str(body.get("address") or "")}
        return self.world.user_sends(user_id, int(body.get("chat_id") or user_id), fields)

    async def post_contact(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        user = self.world.user(_int(body.get("user_id"), "user_id"))
        contact = {"phone_number": user.phone or "", "first_name": user.first_name,
                   "user_id": user.id}
        return self.world.user_sends(user.id, int(body.get("chat_id") or user.id),
                                     {"contact": contact})

    async def post_media(self, request: web.Request) -> dict[str, Any]:
        """Stickers, voice, video, documents...: the kinds of input a bot must survive."""
        w = self.world
        upload = None
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body: dict[str, Any] = {}
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    upload = Upload(value.filename or key, value.content_type or "",
                                    value.file.read())
                else:
                    body[key] = value
        else:
            body = await _body(request)
        kind = str(body.get("kind") or "document")
        if kind not in _DUMMY:
            raise SandboxError(f"unsupported kind {kind!r}")
        user_id = _int(body.get("user_id"), "user_id")
        chat_id = int(body.get("chat_id") or user_id)
        w.user_chat(user_id, chat_id)
        name, mime = _DUMMY[kind]
        if upload is None:
            upload = Upload(str(body.get("file_name") or name), mime,
                            f"sandbox {kind} file".encode())
        record = w.files.add(upload.data, kind, upload.content_type or mime, upload.filename,
                             duration=int(body.get("duration") or 3),
                             emoji=str(body.get("emoji") or "\U0001F44D"))
        payload: dict[str, Any] = {kind: record.as_media()}
        if body.get("caption") and kind not in ("sticker", "video_note"):
            payload["caption"] = str(body["caption"])
        return w.user_sends(user_id, chat_id, payload)

    async def post_press(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        user_id = _int(body.get("user_id"), "user_id")
        query = self.world.press(
            user_id, int(body.get("chat_id") or user_id),
            _int(body.get("message_id"), "message_id"),
            data=body.get("callback_data"), text=body.get("text"),
            force=bool(body.get("force")))
        return {"callback_query_id": query.id, "data": query.data}

    # ------------------------------------------------------------------ shaping the world

    async def post_seed(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        self.world.seed(body.get("users") or [], body.get("groups") or [])
        if body.get("map"):
            self.world.set_map(body["map"].get("geojson"), body["map"].get("places"))
        return {"users": len(self.world.users), "chats": len(self.world.chats)}

    async def post_user(self, request: web.Request) -> dict[str, Any]:
        return self.world.add_user(await _body(request)).summary()

    async def post_block(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        user = self.world.set_blocked(int(request.match_info["user_id"]),
                                      bool(body.get("blocked", True)))
        return user.summary()

    async def post_deactivate(self, request: web.Request) -> dict[str, Any]:
        return self.world.set_deactivated(int(request.match_info["user_id"])).summary()

    async def post_group(self, request: web.Request) -> dict[str, Any]:
        return self.world.chat_summary(self.world.add_group(await _body(request)))

    async def post_members(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        chat = self.world.change_members(int(request.match_info["chat_id"]),
                                         body.get("add") or [], body.get("remove") or [],
                                         announce=bool(body.get("announce", True)))
        return self.world.chat_summary(chat)

    async def post_migrate(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        new = self.world.migrate(int(request.match_info["chat_id"]), body.get("new_id"))
        return {"migrate_to_chat_id": new.id}

    async def post_delete_group(self, request: web.Request) -> dict[str, Any]:
        return self.world.chat_summary(self.world.delete_group(int(request.match_info["chat_id"])))

    async def post_group_bot(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        chat = self.world.set_bot_member(int(request.match_info["chat_id"]),
                                         bool(body.get("present", True)), body.get("actor_id"))
        return self.world.chat_summary(chat)

    async def get_faults(self, request: web.Request) -> dict[str, Any]:
        return self.api.faults.snapshot()

    async def post_faults(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        reset = bool(body.pop("reset_stats", True))
        config = FaultConfig.from_dict(body, base=None if body.pop("replace", False)
                                       else self.api.faults.config)
        self.api.faults.configure(config, reset_stats=reset)
        return self.api.faults.snapshot()

    async def get_ratelimits(self, request: web.Request) -> dict[str, Any]:
        return {**self.api.limiter.config.to_dict(), "limited": self.api.limiter.limited}

    async def post_ratelimits(self, request: web.Request) -> dict[str, Any]:
        body = await _body(request)
        self.api.limiter.configure(RateLimitConfig.from_dict(body, self.api.limiter.config))
        return self.api.limiter.config.to_dict()

    async def get_stats(self, request: web.Request) -> dict[str, Any]:
        w = self.world
        return {
            "calls": dict(self.api.calls), "errors": {str(k): v for k, v in
                                                      self.api.errors.items()},
            "pending_updates": len(w.updates.pending), "next_update_id": w.updates.next_id,
            "dropped_updates": w.updates.dropped, "webhook": w.webhook.info(w.updates)
            if w.webhook else None, "bot_online": self.bot_online(),
            "faults": dict(self.api.faults.stats), "rate_limited": self.api.limiter.limited,
            "files": len(w.files), "file_bytes": w.files.total_bytes,
            "bot_sent": {str(c.id): c.bot_sent for c in w.chats.values() if c.bot_sent},
            "events_seq": w.events.seq,
        }

    async def post_reset(self, request: web.Request) -> dict[str, Any]:
        self.world.reset()
        self.api.calls.clear()
        self.api.errors.clear()
        return {"seq": self.world.events.seq}
