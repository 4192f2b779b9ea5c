"""Drive the sandbox as people do, over its ``/sandbox/api`` (for e2e tests and benchmarks).

    async with SandboxClient(url) as sandbox:
        resident = sandbox.user(100001)
        await resident.send_text("/start")
        greeting = await resident.wait_for_message("欢迎")
        await resident.press("提交")
        card = await sandbox.user(300001, chat_id=-1001000000001).wait_for_message("接单")

``wait_for_message`` looks at what the bot did after this user's last action (send or press),
so the bot's reply cannot be missed however fast it comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from .tracks import TrackPoint, parse_track

Message = dict[str, Any]
Predicate = Callable[[Message], bool] | str | None


class SandboxAPIError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


def message_text(message: Message) -> str:
    return str(message.get("text") or message.get("caption") or "")


def buttons_of(message: Message) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row]


def _find_button(messages: Iterable[Message], button: str, message_id: int | None
                 ) -> tuple[int, dict[str, Any]] | None:
    for message in messages:
        if message_id is not None and message["message_id"] != message_id:
            continue
        for b in buttons_of(message):
            if "callback_data" in b and button in (b["text"], b["callback_data"]):
                return message["message_id"], {"callback_data": b["callback_data"]}
    return None


def _matcher(predicate: Predicate) -> Callable[[Message], bool]:
    if predicate is None:
        return lambda m: True
    if isinstance(predicate, str):
        needle = predicate
        return lambda m: needle in message_text(m) or any(
            needle == b["text"] for b in buttons_of(m))
    return predicate


class SandboxClient:
    """Shapes the world (users, groups, faults) and hands out :class:`SandboxUser` drivers."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=60))
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self.request_seq(method, path, **kwargs))[0]

    async def request_seq(self, method: str, path: str, **kwargs: Any) -> tuple[Any, int]:
        """The result and the sandbox's event sequence number right after the call."""
        url = f"{self.base_url}/sandbox/api/{path.lstrip('/')}"
        async with self.session.request(method, url, **kwargs) as resp:
            body = await resp.json(content_type=None)
            seq = int(resp.headers.get("X-Sandbox-Seq") or 0)
        if not body.get("ok"):
            raise SandboxAPIError(resp.status, body.get("error", "unknown error"))
        return body["result"], seq

    def user(self, user_id: int, chat_id: int | None = None) -> SandboxUser:
        return SandboxUser(self, user_id, chat_id)

    # ------------------------------------------------------------------ world

    async def seed(self, users: Iterable[Mapping[str, Any]] = (),
                   groups: Iterable[Mapping[str, Any]] = (),
                   geojson: Mapping[str, Any] | None = None,
                   places: Iterable[Mapping[str, Any]] | None = None) -> Any:
        body: dict[str, Any] = {"users": list(users), "groups": list(groups)}
        if geojson is not None or places is not None:
            body["map"] = {"geojson": geojson, "places": list(places) if places else None}
        return await self.request("POST", "seed", json=body)

    async def create_user(self, **fields: Any) -> dict[str, Any]:
        return await self.request("POST", "users", json=fields)

    async def create_group(self, **fields: Any) -> dict[str, Any]:
        return await self.request("POST", "groups", json=fields)

    async def block(self, user_id: int, blocked: bool = True) -> dict[str, Any]:
        return await self.request("POST", f"users/{user_id}/block", json={"blocked": blocked})

    async def deactivate(self, user_id: int) -> dict[str, Any]:
        return await self.request("POST", f"users/{user_id}/deactivate", json={})

    async def change_members(self, chat_id: int, add: Iterable[int] = (),
                             remove: Iterable[int] = (), announce: bool = True) -> Any:
        return await self.request("POST", f"groups/{chat_id}/members",
                                  json={"add": list(add), "remove": list(remove),
                                        "announce": announce})

    async def migrate_group(self, chat_id: int, new_id: int | None = None) -> int:
        result = await self.request("POST", f"groups/{chat_id}/migrate",
                                    json={"new_id": new_id})
        return int(result["migrate_to_chat_id"])

    async def delete_group(self, chat_id: int) -> Any:
        return await self.request("POST", f"groups/{chat_id}/delete", json={})

    async def set_bot_in_group(self, chat_id: int, present: bool) -> Any:
        return await self.request("POST", f"groups/{chat_id}/bot", json={"present": present})

    async def set_faults(self, **config: Any) -> dict[str, Any]:
        """Change fault injection (keys of FaultConfig; ``replace=True`` starts from zero)."""
        return await self.request("POST", "faults", json=config)

    async def faults(self) -> dict[str, Any]:
        return await self.request("GET", "faults")

    async def set_rate_limits(self, **config: Any) -> dict[str, Any]:
        return await self.request("POST", "ratelimits", json=config)

    async def messages(self, chat_id: int, from_bot: bool = False,
                       limit: int = 0) -> list[Message]:
        result = await self.request("GET", f"chats/{chat_id}/messages",
                                    params={"from_bot": "1" if from_bot else "0",
                                            "limit": str(limit)})
        return result["messages"]

    async def chat(self, chat_id: int) -> dict[str, Any]:
        return (await self.request("GET", f"chats/{chat_id}/messages",
                                   params={"limit": "1"}))["chat"]

    async def stats(self) -> dict[str, Any]:
        return await self.request("GET", "stats")

    async def reset(self) -> Any:
        return await self.request("POST", "reset", json={})

    async def current_seq(self) -> int:
        return int((await self.request("GET", "events", params={"since": "-1"}))["seq"])


class SandboxUser:
    """One person at the keyboard: a resident, a grid worker or a unit member."""

    def __init__(self, client: SandboxClient | str, user_id: int,
                 chat_id: int | None = None) -> None:
        self.client = SandboxClient(client) if isinstance(client, str) else client
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.mark: int | None = None  # event seq right after the last action
        self._events: list[dict[str, Any]] = []
        self._known: dict[int, Message] = {}  # latest version of messages seen, by id
        self.live_message_id: int | None = None  # the live location this user shares

    def in_chat(self, chat_id: int) -> SandboxUser:
        """The same person, acting in another chat (a unit group)."""
        return SandboxUser(self.client, self.user_id, chat_id)

    async def close(self) -> None:
        await self.client.close()

    async def _act(self, path: str, **kwargs: Any) -> Any:
        result, seq = await self.client.request_seq("POST", path, **kwargs)
        self.mark = seq
        self._events = [e for e in self._events if e["seq"] > seq]
        return result

    # ------------------------------------------------------------------ actions

    async def send_text(self, text: str, reply_to: int | None = None) -> Message:
        """One message; a text over 4096 characters is refused (see :meth:`send_long_text`)."""
        return await self._act("messages", json={
            "user_id": self.user_id, "chat_id": self.chat_id, "text": text,
            "reply_to_message_id": reply_to})

    async def send_long_text(self, text: str, reply_to: int | None = None) -> list[Message]:
        """A text of any length, split as Telegram's apps split it: several messages in
        order, each at most 4096 characters, cut at a line break or space near the limit."""
        return await self._act("messages", json={
            "user_id": self.user_id, "chat_id": self.chat_id, "text": text,
            "reply_to_message_id": reply_to, "split": True})

    async def send_photo(self, photos: bytes | str | Path | Iterable[bytes | str | Path],
                         caption: str | None = None) -> list[Message]:
        """One photo, or several at once (an album: one media_group_id)."""
        items = [photos] if isinstance(photos, (bytes, str, Path)) else list(photos)
        form = aiohttp.FormData()
        form.add_field("user_id", str(self.user_id))
        form.add_field("chat_id", str(self.chat_id))
        if caption:
            form.add_field("caption", caption)
        for i, item in enumerate(items):
            data = item if isinstance(item, bytes) else Path(item).read_bytes()
            form.add_field(f"photo{i}", data, filename=f"photo{i}.jpg",
                           content_type="application/octet-stream")
        return await self._act("photos", data=form)

    async def send_location(self, latitude: float, longitude: float,
                            title: str | None = None, address: str | None = None) -> Message:
        """A location; with ``title`` a venue (a chosen landmark)."""
        return await self._act("locations", json={
            "user_id": self.user_id, "chat_id": self.chat_id, "latitude": latitude,
            "longitude": longitude, "title": title, "address": address})

    # ------------------------------------------------------------------ live location

    async def start_live_location(self, latitude: float, longitude: float,
                                  live_period: int = 900, heading: int | None = None,
                                  horizontal_accuracy: float | None = None) -> Message:
        """Share a live location for ``live_period`` seconds (Telegram's apps offer 900, 3600,
        28800; 60..86400 or 0x7FFFFFFF for "until stopped"). The bot gets a ``message`` whose
        ``location`` has ``live_period``; this user then moves and stops that message."""
        message = await self._act("live", json={
            "user_id": self.user_id, "chat_id": self.chat_id, "latitude": latitude,
            "longitude": longitude, "live_period": live_period, "heading": heading,
            "horizontal_accuracy": horizontal_accuracy})
        self.live_message_id = int(message["message_id"])
        return message

    async def move_live_location(self, latitude: float, longitude: float,
                                 heading: int | None = None,
                                 horizontal_accuracy: float | None = None,
                                 message_id: int | None = None) -> Message:
        """Move the live location (the last one started, or ``message_id``): the bot gets an
        ``edited_message`` with the new coordinates and ``edit_date``. Refused (409) once
        the live_period is over or sharing was stopped."""
        return await self._act("live/move", json={
            "user_id": self.user_id, "chat_id": self.chat_id,
            "message_id": self._live_id(message_id), "latitude": latitude,
            "longitude": longitude, "heading": heading,
            "horizontal_accuracy": horizontal_accuracy})

    async def stop_live_location(self, message_id: int | None = None) -> Message:
        """Stop sharing: a final ``edited_message`` at the last position, whose ``location``
        has no ``live_period`` any more."""
        message = await self._act("live/stop", json={
            "user_id": self.user_id, "chat_id": self.chat_id,
            "message_id": self._live_id(message_id)})
        if message_id is None or message_id == self.live_message_id:
            self.live_message_id = None
        return message

    async def walk(self, points: Iterable[tuple[float, float]], interval: float = 0.0
                   ) -> list[Message]:
        """Move the live location through ``points`` (lat, lon), ``interval`` seconds apart."""
        moved = []
        for i, (latitude, longitude) in enumerate(points):
            if i and interval > 0:
                await asyncio.sleep(interval)
            moved.append(await self.move_live_location(latitude, longitude))
        return moved

    async def replay_track(self, track: str | Path | Iterable[TrackPoint], speed: float = 1.0,
                           interval: float = 5.0) -> list[Message]:
        """Move the live location along a track file (GPX, JSON or CSV, see
        :mod:`tgsandbox.tracks`) or parsed points, ``speed`` times faster than recorded;
        a track without times moves every ``interval`` seconds (divided by ``speed``)."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        if isinstance(track, (str, Path)):
            path = Path(track)
            points = parse_track(path.read_text(encoding="utf-8"), path.name)
        else:
            points = list(track)
        moved, last = [], None
        for i, point in enumerate(points):
            if i:
                gap = interval if point.t is None or last is None else point.t - last
                if gap > 0:
                    await asyncio.sleep(gap / speed)
            last = point.t
            moved.append(await self.move_live_location(point.lat, point.lon))
        return moved

    def _live_id(self, message_id: int | None) -> int:
        if message_id is not None:
            return message_id
        if self.live_message_id is None:
            raise ValueError("no live location started: call start_live_location first")
        return self.live_message_id

    async def send_contact(self) -> Message:
        return await self._act("contacts", json={"user_id": self.user_id,
                                                 "chat_id": self.chat_id})

    async def send_media(self, kind: str, **fields: Any) -> Message:
        """sticker, voice, video, audio, animation, video_note or document."""
        return await self._act("media", json={"user_id": self.user_id, "chat_id": self.chat_id,
                                              "kind": kind, **fields})

    async def press(self, button: str, message_id: int | None = None,
                    location: tuple[float, float] | None = None, force: bool = False,
                    wait_answer: bool = False, timeout: float = 5.0) -> Any:
        """Press an inline button (by text or callback_data) on the newest message that has
        it, or a reply-keyboard button (text; ``location`` for a request_location button).
        Returns the callback_query_id, or the bot's answer with ``wait_answer``, or the message
        a reply-keyboard press sent. ``force`` sends ``button`` as callback_data to
        ``message_id`` even if no such button exists (a forged callback)."""
        if force:
            if message_id is None:
                raise ValueError("a forged press needs message_id")
            return await self._press(message_id, {"callback_data": button}, force=True,
                                     wait_answer=wait_answer, timeout=timeout)
        # the messages this driver has already watched arrive first; else read the chat
        seen = sorted(self._known.values(), key=lambda m: -m["message_id"])
        found = _find_button(seen, button, message_id)
        if found is not None:
            try:
                return await self._press(*found, wait_answer=wait_answer, timeout=timeout)
            except SandboxAPIError as error:
                if error.status != 404:  # the button has gone since: look again
                    raise
        history = await self.client.request("GET", f"chats/{self.chat_id}/messages",
                                            params={"limit": "100"})
        found = _find_button(reversed(history["messages"]), button, message_id)
        if found is not None:
            return await self._press(*found, wait_answer=wait_answer, timeout=timeout)
        keyboard = history["chat"].get("keyboard") or {}
        for row in keyboard.get("keyboard", []):
            for b in row:
                if b["text"] != button:
                    continue
                if b.get("request_location"):
                    if location is None:
                        raise ValueError(f"{button!r} asks for a location: pass location=")
                    return await self.send_location(*location)
                if b.get("request_contact"):
                    return await self.send_contact()
                return await self.send_text(b["text"])
        raise LookupError(f"no button {button!r} in chat {self.chat_id}")

    async def _press(self, message_id: int, what: dict[str, Any], force: bool = False,
                     wait_answer: bool = False, timeout: float = 5.0) -> Any:
        result = await self._act("press", json={
            "user_id": self.user_id, "chat_id": self.chat_id, "message_id": message_id,
            "force": force, **what})
        if wait_answer:
            return await self.callback_answer(result["callback_query_id"], timeout)
        return result["callback_query_id"]

    async def callback_answer(self, query_id: str, timeout: float = 5.0) -> dict[str, Any] | None:
        """The bot's answerCallbackQuery (text, show_alert, url), or None if none came."""
        result = await self.client.request("GET", f"callbacks/{query_id}",
                                           params={"timeout": str(timeout)})
        return result["answer"] if result["answered"] else None

    # ------------------------------------------------------------------ watching

    async def wait_for_message(self, predicate: Predicate = None, timeout: float = 5.0,
                               from_bot: bool = True, edits: bool = True) -> Message:
        """The first message (or edit, with ``edits``) in this chat since this user's last
        action that satisfies ``predicate`` (a callable, or a substring of the text/caption or
        a button text). Raises TimeoutError."""
        match = _matcher(predicate)
        kinds = ("message", "edit") if edits else ("message",)
        if self.mark is None:
            self.mark = await self.client.current_seq()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checked = 0
        while True:
            for event in self._events[checked:]:
                message = event.get("message") or {}
                if (event["type"] in kinds and event["chat_id"] == self.chat_id
                        and (not from_bot or message.get("from", {}).get("is_bot"))
                        and match(message)):
                    return message
            checked = len(self._events)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching message in chat {self.chat_id} "
                                   f"within {timeout}s")
            since = self._events[-1]["seq"] if self._events else self.mark
            result = await self.client.request("GET", "events", params={
                "since": str(since), "chat_id": str(self.chat_id),
                "timeout": f"{min(remaining, 25.0):.3f}"})
            fresh = [e for e in result["events"] if e["seq"] > since]
            self._events.extend(fresh)
            for event in fresh:
                if event["type"] in ("message", "edit") and event["chat_id"] == self.chat_id:
                    self._known[event["message"]["message_id"]] = event["message"]
                elif event["type"] == "delete":
                    self._known.pop(event["message_id"], None)
            while len(self._known) > 50:
                self._known.pop(min(self._known))

    async def messages(self) -> list[Message]:
        """Everything in this chat (oldest first)."""
        return await self.client.messages(self.chat_id)

    async def last_bot_message(self) -> Message | None:
        bot = await self.client.messages(self.chat_id, from_bot=True, limit=1)
        return bot[-1] if bot else None
