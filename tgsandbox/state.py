"""The sandbox's in-memory world: users, chats, messages, the bot's updates, files.

Every method here is synchronous, so under asyncio a mutation never interleaves with another;
waiting (long polls) lives in :mod:`events` and :mod:`updates`. Stored message dicts are never
mutated in place: an edit stores a new dict, so events already emitted keep what was shown.
"""

from __future__ import annotations

import itertools
import random
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from .config import SandboxConfig
from .errors import bad_request, forbidden
from .events import ALL, EventLog, user_key
from .files import FileStore
from .live import LiveSharing
from .membership import Membership
from .models import CallbackQuery, Chat, Message, SandboxError, User
from .updates import UpdateQueue, WebhookSettings

__all__ = ["CallbackQuery", "Chat", "Message", "SandboxError", "User", "World"]


def _pick(spec: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if spec.get(name) is not None:
            return spec[name]
    return default


class World(Membership, LiveSharing):
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = self.config.clock
        self.bot = User(id=self.config.bot_id, first_name=self.config.bot_first_name,
                        username=self.config.bot_username, is_bot=True, language_code=None)
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files = FileStore(self.config.max_file_bytes)
        self.updates = UpdateQueue(self.config.max_pending_updates)
        self.webhook: WebhookSettings | None = None
        self.events = EventLog(self.config.max_events)
        self.callbacks: OrderedDict[str, CallbackQuery] = OrderedDict()
        self.commands: dict[tuple[str, int | None, str], list[dict[str, str]]] = {}
        self.bot_texts: dict[str, str] = {}
        self.map: dict[str, Any] = {"geojson": None, "places": []}
        self.bot_last_seen = 0.0
        self._media_groups = itertools.count(13_000_000_000_000_000)
        self._callback_ids = itertools.count(random.randint(10**17, 10**18))

    # ------------------------------------------------------------------ population

    def seed(self, users: Iterable[Mapping[str, Any]] = (),
             groups: Iterable[Mapping[str, Any]] = ()) -> None:
        """Add users and groups from plain dicts (people.yaml / units.yaml entries fit).

        A user: ``tg_id`` (or ``id``), ``first_name`` (or ``name``), optional ``last_name``,
        ``username``, ``roles``, ``label``, ``phone``, ``started`` (has pressed START).
        A group: ``chat_id`` (or ``id``), ``title`` (or ``name``), ``members`` (user ids),
        optional ``type`` (``group``/``supergroup``; ids below -10^12 are supergroups).
        """
        for spec in users:
            self.add_user(spec)
        for spec in groups:
            self.add_group(spec)

    def add_user(self, spec: Mapping[str, Any]) -> User:
        user_id = _pick(spec, "tg_id", "user_id", "id")
        if user_id is None:
            user_id = max([*self.users, 100000]) + 1
        user_id = int(user_id)
        if user_id <= 0 or user_id == self.bot.id:
            raise SandboxError(f"invalid user id {user_id}")
        name = str(_pick(spec, "first_name", "name", default=f"用户{user_id}"))
        roles = _pick(spec, "roles", default=[])
        user = self.users.get(user_id) or User(id=user_id, first_name=name)
        user.first_name = name
        user.last_name = _pick(spec, "last_name", default=user.last_name)
        user.username = _pick(spec, "username", default=user.username)
        user.roles = [roles] if isinstance(roles, str) else list(roles)
        user.label = _pick(spec, "label", default=user.label)
        user.phone = _pick(spec, "phone", default=user.phone or f"+86138{user_id % 10**8:08d}")
        user.language_code = _pick(spec, "language_code", default=user.language_code)
        user.started = bool(_pick(spec, "started", default=user.started))
        self.users[user_id] = user
        return user

    def add_group(self, spec: Mapping[str, Any]) -> Chat:
        chat_id = _pick(spec, "chat_id", "id")
        if chat_id is None:
            chat_id = -(10**12) - 2_000_000_000 - len(self.chats) - 1
        chat_id = int(chat_id)
        if chat_id >= 0:
            raise SandboxError("group ids are negative")
        kind = _pick(spec, "type", default="supergroup" if chat_id < -(10**12) else "group")
        if kind not in ("group", "supergroup"):
            raise SandboxError(f"unsupported chat type {kind!r}")
        members = {int(m) for m in _pick(spec, "members", default=[])}
        unknown = members - set(self.users)
        if unknown:
            raise SandboxError(f"unknown members {sorted(unknown)}")
        chat = self.chats.get(chat_id) or Chat(id=chat_id, type=kind)
        chat.type = kind
        chat.title = str(_pick(spec, "title", "name", default=chat.title or f"群 {chat_id}"))
        chat.username = _pick(spec, "username", default=chat.username)
        chat.members |= members
        chat.bot_member = bool(_pick(spec, "bot_member", default=chat.bot_member))
        chat.deleted = False
        self.chats[chat_id] = chat
        self.events.emit(chat.keys(), {"type": "chat", "chat_id": chat_id})
        return chat

    def set_map(self, geojson: Mapping[str, Any] | None,
                places: Iterable[Mapping[str, Any]] | None = None) -> None:
        """The county drawn on the page: a FeatureCollection of grid polygons and landmarks
        (``name``, ``lon``, ``lat``, optional ``grid``/``kind``). Without ``places`` they are
        read from each feature's ``properties.places`` (the demo county's format)."""
        found: list[dict[str, Any]] = []
        if places is None and geojson:
            seen = set()
            for feature in geojson.get("features", []):
                props = feature.get("properties") or {}
                for place in props.get("places") or []:
                    key = (place.get("name"), place.get("lon"), place.get("lat"))
                    if key not in seen:
                        seen.add(key)
                        found.append({**place, "grid": props.get("id"),
                                      "grid_name": props.get("name")})
        else:
            found = [dict(p) for p in places or []]
        self.map = {"geojson": dict(geojson) if geojson else None, "places": found}

    # ------------------------------------------------------------------ lookups

    def user(self, user_id: int) -> User:
        user = self.users.get(int(user_id))
        if user is None:
            raise SandboxError(f"unknown user {user_id}", 404)
        return user

    def private_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", owner=user, members={user.id})
            self.chats[user.id] = chat
        return chat

    def chat(self, chat_id: int | str) -> Chat | None:
        if isinstance(chat_id, str):
            name = chat_id.lstrip("@").lower()
            return next((c for c in self.chats.values()
                         if c.username and c.username.lower() == name), None)
        chat = self.chats.get(chat_id)
        if chat is None and chat_id in self.users:
            chat = self.private_chat(self.users[chat_id])
        return chat

    def chats_for(self, user_id: int) -> list[Chat]:
        user = self.user(user_id)
        out = [self.private_chat(user)]
        out += [c for c in self.chats.values() if c.is_group and user_id in c.members
                and c.active]
        return out

    def target_chat(self, chat_id: int | str, *, sending: bool = True) -> Chat:
        """The chat a bot call addresses, or the error Telegram would give."""
        chat = self.chat(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.type == "private":
            user = chat.owner
            assert user is not None
            if user.deactivated:
                raise forbidden("user is deactivated")
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if sending and self.config.require_start and not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        if chat.migrated_to is not None:
            raise bad_request("group chat was upgraded to a supergroup chat",
                              {"migrate_to_chat_id": chat.migrated_to})
        if chat.deleted:
            if chat.type == "group":
                raise forbidden("the group chat was deleted")
            raise bad_request("chat not found")
        if not chat.bot_member:
            raise forbidden(f"bot was kicked from the {chat.type} chat"
                            if chat.type == "supergroup" else "bot was kicked from the group chat")
        return chat

    # ------------------------------------------------------------------ messages

    def now(self) -> int:
        return int(self.clock())

    def store(self, chat: Chat, sender: User, fields: Mapping[str, Any]) -> Message:
        mid = chat.next_message_id
        chat.next_message_id += 1
        msg: Message = {"message_id": mid, "from": sender.to_api(), "chat": chat.to_api(),
                        "date": self.now(), **fields}
        chat.messages[mid] = msg
        while len(chat.messages) > self.config.max_messages_per_chat:
            chat.messages.popitem(last=False)
        if sender.is_bot:
            chat.bot_sent += 1
        self.events.emit(chat.keys(), {"type": "message", "chat_id": chat.id, "message": msg})
        return msg

    def replace(self, chat: Chat, message_id: int, fields: Mapping[str, Any],
                drop: Iterable[str] = ()) -> Message:
        old = chat.messages[message_id]
        new = {k: v for k, v in old.items() if k not in set(drop)}
        new.update(fields)
        new["edit_date"] = self.now()
        chat.messages[message_id] = new
        self.events.emit(chat.keys(), {"type": "edit", "chat_id": chat.id, "message": new})
        return new

    def delete(self, chat: Chat, message_id: int) -> None:
        chat.messages.pop(message_id)
        self.events.emit(chat.keys(), {"type": "delete", "chat_id": chat.id,
                                       "message_id": message_id})

    def set_keyboard(self, chat: Chat, markup: dict[str, Any] | None,
                     force_reply: dict[str, Any] | None = None) -> None:
        chat.reply_keyboard = markup
        chat.force_reply = force_reply
        self.events.emit(chat.keys(), {"type": "keyboard", "chat_id": chat.id,
                                       "keyboard": markup, "force_reply": force_reply})

    def chat_action(self, chat: Chat, action: str) -> None:
        self.events.emit(chat.keys(), {"type": "action", "chat_id": chat.id, "action": action})

    def next_media_group_id(self) -> str:
        return str(next(self._media_groups))

    def quote(self, chat: Chat, message_id: int) -> Message | None:
        msg = chat.messages.get(message_id)
        if msg is None:
            return None
        return {k: v for k, v in msg.items() if k != "reply_to_message"}

    # ------------------------------------------------------------------ what users do

    def user_chat(self, user_id: int, chat_id: int) -> tuple[User, Chat]:
        user = self.user(user_id)
        if user.deactivated:
            raise SandboxError("this account is deactivated", 403)
        chat = self.chat(int(chat_id))
        if chat is None:
            raise SandboxError(f"unknown chat {chat_id}", 404)
        if chat.type == "private":
            if chat.id != user.id:
                raise SandboxError("a user can only write in their own chat with the bot", 403)
        elif user.id not in chat.members:
            raise SandboxError(f"{user.full_name} is not a member of {chat.title}", 403)
        elif chat.migrated_to is not None:
            raise SandboxError("this group was upgraded to a supergroup", 409)
        elif chat.deleted:
            raise SandboxError("this group was deleted", 410)
        return user, chat

    def user_sends(self, user_id: int, chat_id: int, fields: Mapping[str, Any],
                   reply_to: int | None = None) -> Message:
        user, chat = self.user_chat(user_id, chat_id)
        if chat.type == "private" and user.blocked:
            raise SandboxError("you blocked the bot: restart it first", 409)
        payload = dict(fields)
        if reply_to is not None:
            quoted = self.quote(chat, reply_to)
            if quoted is None:
                raise SandboxError(f"message {reply_to} not found", 404)
            payload["reply_to_message"] = quoted
        if chat.type == "private":
            user.started = True
        if chat.force_reply is not None:
            self.set_keyboard(chat, chat.reply_keyboard, None)
        msg = self.store(chat, user, payload)
        if self._bot_sees(chat, msg):
            self.updates.push("message", msg)
        return msg

    def _bot_sees(self, chat: Chat, msg: Message) -> bool:
        if chat.type == "private":
            return True
        if not chat.bot_member or not chat.active:
            return False
        if not self.config.privacy_mode:
            return True
        text = msg.get("text") or ""
        reply = msg.get("reply_to_message") or {}
        return (text.startswith("/") or (reply.get("from") or {}).get("id") == self.bot.id
                or any(k in msg for k in ("new_chat_members", "left_chat_member",
                                          "migrate_to_chat_id", "migrate_from_chat_id")))

    def service(self, chat: Chat, actor: User, fields: Mapping[str, Any],
                deliver: bool = True) -> Message:
        msg = self.store(chat, actor, fields)
        if deliver and chat.bot_member:
            self.updates.push("message", msg)
        return msg

    def press(self, user_id: int, chat_id: int, message_id: int, data: str | None = None,
              text: str | None = None, force: bool = False) -> CallbackQuery:
        """A user presses an inline button: the bot gets a callback_query update."""
        user, chat = self.user_chat(user_id, chat_id)
        msg = chat.messages.get(int(message_id))
        if msg is None and not force:
            raise SandboxError(f"message {message_id} not found", 404)
        if not force:
            buttons = [b for row in (msg or {}).get("reply_markup", {}).get("inline_keyboard", [])
                       for b in row if "callback_data" in b]
            match = next((b for b in buttons if (data is not None and b["callback_data"] == data)
                          or (text is not None and b["text"] == text)), None)
            if match is None:
                raise SandboxError("no such button on that message", 404)
            data = match["callback_data"]
        if data is None:
            raise SandboxError("callback_data is required", 400)
        query = CallbackQuery(id=str(next(self._callback_ids)), user_id=user.id, chat_id=chat.id,
                              message_id=int(message_id), data=data, created=self.clock())
        self.callbacks[query.id] = query
        while len(self.callbacks) > 10000:
            self.callbacks.popitem(last=False)
        payload: dict[str, Any] = {"id": query.id, "from": user.to_api(),
                                   "chat_instance": chat.chat_instance, "data": data}
        if msg is not None:
            payload["message"] = msg
        self.updates.push("callback_query", payload)
        return query

    def answer_callback(self, query_id: str, answer: dict[str, Any]) -> None:
        query = self.callbacks.get(query_id)
        if (query is None or query.answered
                or self.clock() - query.created > self.config.callback_answer_timeout):
            raise bad_request("query is too old and response timeout expired or query ID "
                              "is invalid")
        query.answered = True
        query.answer = answer
        query.done.set()
        self.events.emit([user_key(query.user_id)], {
            "type": "callback_answer", "chat_id": query.chat_id, "user_id": query.user_id,
            "callback_query_id": query.id, "message_id": query.message_id, **answer})

    # ------------------------------------------------------------------ commands

    @staticmethod
    def scope_key(scope: Mapping[str, Any] | None) -> tuple[str, int | None]:
        scope = scope or {"type": "default"}
        kind = str(scope.get("type", "default"))
        chat_id = scope.get("chat_id")
        return kind, int(chat_id) if isinstance(chat_id, (int, str)) and str(chat_id).lstrip(
            "-").isdigit() else None

    def commands_for(self, chat: Chat, language: str = "") -> list[dict[str, str]]:
        """The command menu a user sees in ``chat``, by Telegram's scope precedence."""
        if chat.type == "private":
            order = [("chat", chat.id), ("all_private_chats", None), ("default", None)]
        else:
            order = [("chat", chat.id), ("all_group_chats", None), ("default", None)]
        for lang in (language, ""):
            for kind, cid in order:
                found = self.commands.get((kind, cid, lang))
                if found:
                    return found
        return []

    # ------------------------------------------------------------------ page views

    def chat_summary(self, chat: Chat, viewer: int | None = None) -> dict[str, Any]:
        last = next(reversed(chat.messages.values()), None) if chat.messages else None
        data: dict[str, Any] = {
            "id": chat.id, "type": chat.type, "title": chat.title,
            "members": sorted(chat.members), "bot_member": chat.bot_member,
            "deleted": chat.deleted, "migrated_to": chat.migrated_to,
            "migrated_from": chat.migrated_from, "last_message": last,
            "keyboard": chat.reply_keyboard, "force_reply": chat.force_reply,
            "commands": self.commands_for(chat),
        }
        if chat.type == "private" and chat.owner is not None:
            data["title"] = self.bot.first_name
            data.update(started=chat.owner.started, blocked=chat.owner.blocked)
        return data

    def reset(self) -> None:
        """Forget messages, updates, callbacks and files; keep users, groups and the map."""
        for chat in self.chats.values():
            chat.messages.clear()
            chat.reply_keyboard = chat.force_reply = None
            chat.bot_sent = 0
        self.updates.clear()
        self.callbacks.clear()
        self.files.clear()
        self.events.clear()
        self.events.emit([ALL], {"type": "reset"})
