"""Bot API methods about the bot itself: identity, updates, webhook, commands, chats, files."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from .api_messages import Call, MethodFn
from .errors import bad_request, conflict
from .state import Chat
from .updates import WebhookSettings

METHODS: dict[str, MethodFn] = {}
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators",
           "chat", "chat_administrators", "chat_member"}
_UPDATE_TYPES = {"message", "edited_message", "channel_post", "edited_channel_post",
                 "business_connection", "business_message", "edited_business_message",
                 "deleted_business_messages", "message_reaction", "message_reaction_count",
                 "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
                 "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
                 "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
                 "removed_chat_boost"}


def core(name: str) -> Any:
    def register(fn: MethodFn) -> MethodFn:
        METHODS[name.lower()] = fn
        return fn
    return register


@core("getMe")
def get_me(call: Call) -> dict[str, Any]:
    return {**call.world.bot.to_api(), "can_join_groups": True,
            "can_read_all_group_messages": not call.world.config.privacy_mode,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False}


@core("logOut")
@core("close")
def log_out(call: Call) -> bool:
    return True


def _allowed_updates(call: Call) -> None:
    allowed = call.params.json("allowed_updates", "allowed_updates")
    if allowed is None:
        return
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
        raise bad_request("can't parse allowed_updates JSON object")
    call.world.updates.allowed = [a for a in allowed if a in _UPDATE_TYPES] or None


@core("getUpdates")
async def get_updates(call: Call) -> list[dict[str, Any]]:
    world, p = call.world, call.params
    queue = world.updates
    if world.webhook is not None:
        raise conflict("can't use getUpdates method while webhook is active; use "
                       "deleteWebhook to delete the webhook first")
    offset = p.integer("offset", 0) or 0
    limit = min(max(p.integer("limit", 100) or 100, 1), 100)
    timeout = max(p.number("timeout", 0.0) or 0.0, 0.0)
    _allowed_updates(call)
    if offset:
        queue.confirm(offset)
    queue.generation += 1
    generation = queue.generation
    queue.interrupt()
    clock = world.clock
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    queue.pollers += 1
    try:
        while True:
            world.bot_last_seen = clock()
            if queue.generation != generation:
                raise conflict("terminated by other getUpdates request; make sure that only "
                               "one bot instance is running")
            if world.webhook is not None:
                raise conflict("can't use getUpdates method while webhook is active; use "
                               "deleteWebhook to delete the webhook first")
            updates = queue.take(limit)
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or queue.closed:
                return updates
            await queue.wait_changed(remaining)
    finally:
        queue.pollers -= 1
        world.bot_last_seen = clock()


@core("setWebhook")
def set_webhook(call: Call) -> bool:
    world, p = call.world, call.params
    url = (p.string("url") or "").strip()
    if not url:
        return delete_webhook(call)
    if not re.match(r"^https?://[^\s/]+", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.string("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.integer("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    _allowed_updates(call)
    if p.flag("drop_pending_updates"):
        world.updates.clear()
    world.webhook = WebhookSettings(url=url, secret_token=secret, max_connections=max_connections)
    world.updates.interrupt()
    return True


@core("deleteWebhook")
def delete_webhook(call: Call) -> bool:
    world = call.world
    if call.params.flag("drop_pending_updates"):
        world.updates.clear()
    world.webhook = None
    world.updates.interrupt()
    return True


@core("getWebhookInfo")
def get_webhook_info(call: Call) -> dict[str, Any]:
    world = call.world
    if world.webhook is None:
        return {"url": "", "has_custom_certificate": False,
                "pending_update_count": len(world.updates.pending)}
    return world.webhook.info(world.updates)


@core("getFile")
def get_file(call: Call) -> dict[str, Any]:
    file_id = call.params.string("file_id")
    record = call.world.files.get(file_id) if file_id else None
    if record is None:
        raise bad_request("invalid file_id")
    if record.size > 20 * 1024 * 1024:
        raise bad_request("file is too big")
    return record.as_file()


# ---------------------------------------------------------------------------- commands


def _scope(call: Call) -> tuple[str, int | None, str]:
    scope = call.params.json("scope", "bot command scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("unsupported bot command scope type")
    if scope["type"].startswith("chat"):
        chat_id = scope.get("chat_id")
        if not isinstance(chat_id, (int, str)):
            raise bad_request("chat not found")
        call.world.target_chat(chat_id, sending=False)
    kind, scope_chat = call.world.scope_key(scope)
    language = call.params.string("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return kind, scope_chat, language


@core("setMyCommands")
def set_my_commands(call: Call) -> bool:
    commands = call.params.json("commands", "commands")
    if not isinstance(commands, list):
        raise bad_request("parameter \"commands\" is required" if commands is None
                          else "can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    clean = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand")
        command = str(item.get("command", "")).lstrip("/")
        description = str(item.get("description", "")).strip()
        if not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description must be 1-256 characters long")
        clean.append({"command": command, "description": description})
    key = _scope(call)
    if clean:
        call.world.commands[key] = clean
    else:
        call.world.commands.pop(key, None)
    call.world.events.emit(["*"], {"type": "commands"})
    return True


@core("getMyCommands")
def get_my_commands(call: Call) -> list[dict[str, str]]:
    return list(call.world.commands.get(_scope(call), []))


@core("deleteMyCommands")
def delete_my_commands(call: Call) -> bool:
    call.world.commands.pop(_scope(call), None)
    call.world.events.emit(["*"], {"type": "commands"})
    return True


def _bot_text(name: str, field: str, limit: int) -> None:
    @core(f"setMy{name}")
    def setter(call: Call) -> bool:
        value = call.params.string(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        call.world.bot_texts[field] = value
        return True

    @core(f"getMy{name}")
    def getter(call: Call) -> dict[str, str]:
        return {field: call.world.bot_texts.get(field, "")}


_bot_text("Name", "name", 64)
_bot_text("Description", "description", 512)
_bot_text("ShortDescription", "short_description", 120)


@core("setChatMenuButton")
def set_chat_menu_button(call: Call) -> bool:
    return True


@core("getChatMenuButton")
def get_chat_menu_button(call: Call) -> dict[str, str]:
    return {"type": "commands"}


# ---------------------------------------------------------------------------- chats


def _readable(call: Call) -> Chat:
    chat = call.world.chat(call.params.chat_id())
    if chat is None:
        raise bad_request("chat not found")
    if chat.is_group:
        call.world.target_chat(chat.id, sending=False)
    return chat


@core("getChat")
def get_chat(call: Call) -> dict[str, Any]:
    chat = _readable(call)
    data: dict[str, Any] = {
        **chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11,
        "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                "unique_gifts": False, "premium_subscription": False,
                                "gifts_from_channels": False}}
    if chat.is_group:
        data["permissions"] = {"can_send_messages": True, "can_send_photos": True}
        if chat.migrated_from:
            data["migrated_from_chat_id"] = chat.migrated_from
    return data


@core("getChatMember")
def get_chat_member(call: Call) -> dict[str, Any]:
    chat = _readable(call)
    user_id = call.params.integer("user_id")
    world = call.world
    if user_id == world.bot.id:
        status = "member" if chat.type == "private" or chat.bot_member else "left"
        return {"status": status, "user": world.bot.to_api()}
    user = world.users.get(user_id or 0)
    if user is None:
        raise bad_request("user not found")
    status = "member" if user.id in chat.members else "left"
    return {"status": status, "user": user.to_api()}


@core("getChatMemberCount")
def get_chat_member_count(call: Call) -> int:
    chat = _readable(call)
    return len(chat.members) + (1 if chat.bot_member else 0)


@core("leaveChat")
def leave_chat(call: Call) -> bool:
    world = call.world
    chat = world.target_chat(call.params.chat_id(), sending=False)
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    chat.bot_member = False
    world.events.emit(chat.keys(), {"type": "chat", "chat_id": chat.id})
    return True
