"""Photos uploaded in the console are files, not Telegram file ids: the relay sends the unit
its card and the pin, never the console photos (which the console shows instead)."""

from __future__ import annotations

import asyncio
from typing import Any

from dispatch.domain.case import CONSOLE_PHOTO_PREFIX
from dispatch.service.cases import ReportDraft
from tests.bot.conftest import CHENGXI_GROUP, RESIDENT, market_point
from tests.bot.helpers import outbox, seen_or_wait
from tests.conftest import tg_member


async def test_console_photos_are_not_sent_as_file_ids(app: Any, people: Any, runtime: Any) -> None:
    lat, lon = market_point(app)
    case = await runtime.commands.submit(ReportDraft(
        text="五丰菜市场门口有人摆摊", reporter_id=await tg_member(app, RESIDENT), category="street_vending",
        lat=lat, lon=lon, photos=[CONSOLE_PHOTO_PREFIX + "ab" * 32], channel="phone"))
    member = people.user(300001, chat_id=CHENGXI_GROUP)
    card = await seen_or_wait(member, lambda m: case.number in m.get("text", ""))
    assert "照片" not in card["text"]
    await seen_or_wait(member, lambda m: "location" in m)  # the last part of the card
    for _ in range(50):  # the row is marked sent just after its last call
        row = next(r for r in await outbox(app) if r.kind == "unit_card" and r.case_id == case.id)
        if row.state == "sent":
            break
        await asyncio.sleep(0.1)
    assert row.state == "sent"
    stats = await people.stats()
    assert not stats["calls"].get("sendPhoto") and not stats["calls"].get("sendMediaGroup"), stats["calls"]
    assert not stats["errors"], stats["errors"]
