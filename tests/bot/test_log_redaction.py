"""A real report through the sandbox with every logger at DEBUG and JSON lines: each line is
one JSON object with time, level, logger and message; the lines about the update and the
case name them; no line holds the bot token, the webhook secret or a phone number."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dispatch.settings import Settings
from gridbot.logs import setup_logging
from tests.bot.conftest import RESIDENT, market_point
from tests.bot.helpers import number_in

TOKEN = "7012345678:AAH4xK2bQz9_Lm-Np3Rs5Tu7Vw9Xy1Za2Bc"  # the shape of a real one
SECRET = "webhook-s3cret-value-never-logged"
PHONE = "13812345678"


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    from gridbot.demo import DEMO_DIR
    from tgsandbox.demo import demo_world
    from tgsandbox.server import start_sandbox

    handle = await start_sandbox(token=TOKEN, **demo_world(DEMO_DIR))
    try:
        yield handle
    finally:
        await handle.close()


@pytest.fixture
def log_lines() -> Any:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    settings = Settings(GRIDBOT_LOG_FORMAT="json", TELEGRAM_BOT_TOKEN=TOKEN, GRIDBOT_WEBHOOK_SECRET=SECRET)
    setup_logging(settings, "DEBUG", stream=out)
    try:
        yield out
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


async def test_report_logged_as_json_without_token_or_phone(app: Any, people: Any, runtime: Any,
                                                            log_lines: io.StringIO) -> None:
    assert runtime.bot.token == TOKEN
    logging.getLogger("test").info("configured with %s and %s, call %s", TOKEN, SECRET, PHONE)  # careless
    resident = people.user(RESIDENT)
    await resident.send_text(f"菜市场门口有人摆摊占道，联系电话 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]} 或{PHONE}")
    await resident.wait_for_message("问题在哪里")
    await resident.press("📍 发送当前位置", location=market_point(app))
    await resident.wait_for_message("现场照片")
    await resident.press("跳过")
    await resident.wait_for_message("请核对")
    await resident.press("✅ 提交")
    number = number_in((await resident.wait_for_message("已受理"))["text"])
    await runtime.relay.run_once()

    text = log_lines.getvalue()
    lines = text.splitlines()
    assert len(lines) >= 5, text[:2000]
    docs = [json.loads(line) for line in lines]  # every line is one JSON object
    for doc in docs:
        assert {"time", "level", "logger", "message"} <= doc.keys(), doc
    assert TOKEN not in text and TOKEN.split(":")[1] not in text and SECRET not in text
    assert not re.search(r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}", text), [line for line in lines if "138" in line][:3]
    assert any(d.get("update_id") is not None for d in docs)  # the update handler's lines
    filed = [d for d in docs if d["message"].startswith("case filed")]
    assert filed and filed[0]["case"] == number and filed[0]["update_id"] is not None
    assert any(d.get("case") == number and d["logger"].startswith("bot.delivery") for d in docs)
    assert any("***" in d["message"] for d in docs if d["logger"] == "test")
