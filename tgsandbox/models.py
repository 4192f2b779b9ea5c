"""The sandbox world's records: users, chats, callback queries."""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .events import chat_key, user_key

Message = dict[str, Any]


class SandboxError(Exception):
    """A page/driver request the world refuses (not a Bot API error)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = "zh-hans"
    roles: list[str] = field(default_factory=list)
    label: str | None = None
    phone: str | None = None
    started: bool = False
    blocked: bool = False
    deactivated: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot,
                                "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.full_name, "first_name": self.first_name,
                "username": self.username, "roles": list(self.roles), "label": self.label,
                "started": self.started, "blocked": self.blocked,
                "deactivated": self.deactivated}


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    username: str | None = None
    owner: User | None = None  # the user of a private chat
    members: set[int] = field(default_factory=set)
    bot_member: bool = True
    deleted: bool = False
    migrated_to: int | None = None
    migrated_from: int | None = None
    messages: OrderedDict[int, Message] = field(default_factory=OrderedDict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    force_reply: dict[str, Any] | None = None
    bot_sent: int = 0
    chat_instance: str = field(
        default_factory=lambda: str(random.randint(10**17, 9 * 10**18)))

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def active(self) -> bool:
        return not self.deleted and self.migrated_to is None

    def to_api(self) -> dict[str, Any]:
        if self.type == "private" and self.owner is not None:
            data = {"id": self.id, "type": "private", "first_name": self.owner.first_name}
            if self.owner.last_name:
                data["last_name"] = self.owner.last_name
            if self.owner.username:
                data["username"] = self.owner.username
            return data
        data = {"id": self.id, "type": self.type, "title": self.title or str(self.id)}
        if self.username:
            data["username"] = self.username
        return data

    def keys(self) -> list[str]:
        return [chat_key(self.id), *(user_key(m) for m in self.members)]


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
