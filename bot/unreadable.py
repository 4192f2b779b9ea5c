"""Updates that cannot be read are logged and skipped, never retried forever.

aiogram validates a getUpdates answer as a whole: one update that does not fit its schema
(a message without `chat`, a field of the wrong type) failed the whole batch, and since the
offset never moved past it, every later getUpdates failed the same way. `lenient_updates`
validates the updates one by one and puts an empty `Update` (only its `update_id`, so the
offset still moves on) in place of each unreadable one; `SkipUnreadable` drops those
before any handler sees them."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from pydantic import ValidationError

log = logging.getLogger("bot.updates")


def read_update(raw: Any, bot: Any = None) -> Update | None:
    """One update from its JSON object, or None (logged) when it does not validate."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except ValidationError as exc:
        uid = raw.get("update_id") if isinstance(raw, dict) else None
        log.warning("update %s skipped: it does not fit the Bot API schema (%s)", uid,
                    "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3]))
        return None


def lenient_updates(content: str, bot: Any) -> list[Update] | None:
    """A successful getUpdates answer's updates, each unreadable one replaced by an empty
    placeholder; None when the answer is not a successful list of updates at all."""
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("ok") is not True or not isinstance(data.get("result"), list):
        return None
    updates: list[Update] = []
    for raw in data["result"]:
        uid = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(uid, int):
            log.warning("an update without an update_id skipped")
            continue
        update = read_update(raw, bot)
        updates.append(update if update is not None else Update(update_id=uid))
    return updates


def is_empty(update: Update) -> bool:
    """A placeholder (or an update of a kind this aiogram does not know): nothing to handle."""
    try:
        update.event_type  # noqa: B018 (raises for an update without an event)
    except UpdateTypeLookupError:
        return True
    return False


class SkipUnreadable(BaseMiddleware):
    """Update middleware: placeholders of unreadable updates go no further."""

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and is_empty(event):
            return None
        return await handler(event, data)
