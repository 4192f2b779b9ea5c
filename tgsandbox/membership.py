"""What happens to users and groups: blocking the bot, joining, upgrading, deletion.

A mixin of :class:`tgsandbox.state.World`; each change produces the updates Telegram sends
(``my_chat_member``, service messages) and a ``chat`` event for the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .events import user_key
from .models import Chat, SandboxError, User

if TYPE_CHECKING:
    from .events import EventLog
    from .updates import UpdateQueue


class Membership:
    if TYPE_CHECKING:
        bot: User
        users: dict[int, User]
        chats: dict[int, Chat]
        updates: UpdateQueue
        events: EventLog

        def now(self) -> int: ...
        def user(self, user_id: int) -> User: ...
        def private_chat(self, user: User) -> Chat: ...
        def service(self, chat: Chat, actor: User, fields: dict[str, Any],
                    deliver: bool = True) -> dict[str, Any]: ...

    def _my_chat_member(self, chat: Chat, actor: User, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": self.bot.to_api()}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.updates.push("my_chat_member", {
            "chat": chat.to_api(), "from": actor.to_api(), "date": self.now(),
            "old_chat_member": member(old), "new_chat_member": member(new)})

    def set_blocked(self, user_id: int, blocked: bool) -> User:
        user = self.user(user_id)
        if user.blocked != blocked:
            user.blocked = blocked
            chat = self.private_chat(user)
            self._my_chat_member(chat, user, "member" if blocked else "kicked",
                                 "kicked" if blocked else "member")
            self.events.emit(chat.keys(), {"type": "chat", "chat_id": chat.id})
        return user

    def set_deactivated(self, user_id: int) -> User:
        user = self.user(user_id)
        user.deactivated = True
        self.events.emit([user_key(user.id)], {"type": "chat", "chat_id": user.id})
        return user

    def group(self, chat_id: int) -> Chat:
        chat = self.chats.get(int(chat_id))
        if chat is None or not chat.is_group:
            raise SandboxError(f"unknown group {chat_id}", 404)
        return chat

    def change_members(self, chat_id: int, add: Iterable[int] = (), remove: Iterable[int] = (),
                       announce: bool = True) -> Chat:
        chat = self.group(chat_id)
        added = [self.user(u) for u in add if int(u) not in chat.members]
        removed = [self.user(u) for u in remove if int(u) in chat.members]
        for user in added:
            chat.members.add(user.id)
        if added and announce:
            self.service(chat, added[0], {"new_chat_members": [u.to_api() for u in added]})
        for user in removed:
            if announce:
                self.service(chat, user, {"left_chat_member": user.to_api()})
            chat.members.discard(user.id)
            self.events.emit([user_key(user.id)], {"type": "chat", "chat_id": chat.id})
        self.events.emit(chat.keys(), {"type": "chat", "chat_id": chat.id})
        return chat

    def set_bot_member(self, chat_id: int, present: bool, actor_id: int | None = None) -> Chat:
        chat = self.group(chat_id)
        actor = self.user(actor_id) if actor_id else self.users.get(min(chat.members, default=0))
        if chat.bot_member == present:
            return chat
        if actor is None:
            raise SandboxError("the group needs a member to add or remove the bot")
        if present:
            chat.bot_member = True
            self._my_chat_member(chat, actor, "left", "member")
            self.service(chat, actor, {"new_chat_members": [self.bot.to_api()]})
        else:
            self._my_chat_member(chat, actor, "member", "left")
            self.service(chat, actor, {"left_chat_member": self.bot.to_api()}, deliver=False)
            chat.bot_member = False
        self.events.emit(chat.keys(), {"type": "chat", "chat_id": chat.id})
        return chat

    def migrate(self, chat_id: int, new_id: int | None = None) -> Chat:
        """Upgrade a group to a supergroup, as Telegram does when a group grows up."""
        old = self.group(chat_id)
        if old.type != "group" or not old.active:
            raise SandboxError("only an active basic group can be upgraded", 409)
        new_id = int(new_id) if new_id is not None else -(10**12) - abs(old.id)
        if new_id in self.chats or new_id > -(10**12):
            raise SandboxError(f"invalid supergroup id {new_id}", 409)
        actor = self.users.get(min(old.members, default=0)) or self.bot
        new = Chat(id=new_id, type="supergroup", title=old.title, members=set(old.members),
                   bot_member=old.bot_member, migrated_from=old.id)
        self.chats[new_id] = new
        self.service(old, actor, {"migrate_to_chat_id": new_id}, deliver=old.bot_member)
        old.migrated_to = new_id
        self.service(new, actor, {"migrate_from_chat_id": old.id}, deliver=new.bot_member)
        self.events.emit(old.keys(), {"type": "chat", "chat_id": old.id, "migrated_to": new_id})
        return new

    def delete_group(self, chat_id: int) -> Chat:
        chat = self.group(chat_id)
        chat.deleted = True
        self.events.emit(chat.keys(), {"type": "chat", "chat_id": chat.id, "deleted": True})
        return chat
