"""Steps people take in the sandbox, shared by the bot tests."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from bot.ratelimit import SendLimiter
from bot.retry import Backoff, RetryPolicy
from dispatch.db.orm import CaseRow, MessageRow, OutboxRow
from tests.bot.fakes import png
from tgsandbox.client import Message, SandboxUser, buttons_of

NUMBER_RE = re.compile(r"QH-\d{8}-\d{4}")


def number_in(text: str) -> str:
    m = NUMBER_RE.search(text)
    assert m, f"no case number in {text!r}"
    return m.group(0)


async def watching(user: SandboxUser) -> SandboxUser:
    """From now on: `user.wait_for_message` sees what the bot does after this point, even
    when another person's action causes it."""
    user.mark = await user.client.current_seq()
    return user


async def seen_or_wait(user: SandboxUser, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
    """A bot message in the user's chat matching `predicate` — already there, or coming."""
    for m in reversed(await user.messages()):
        if m.get("from", {}).get("is_bot") and predicate(m):
            return m
    return await user.wait_for_message(predicate, timeout=timeout)


def has_button(message: dict[str, Any], text: str) -> bool:
    return any(b["text"] == text for b in buttons_of(message))


async def report(
    resident: SandboxUser,
    text: str,
    *,
    place_button: str | None = None,
    address: str | None = None,
    location: tuple[float, float] | None = None,
    photos: int = 0,
    caption: str | None = None,
) -> str:
    """A resident reports through the whole flow; returns the case number. `caption`: on
    the photos."""
    await to_summary(resident, text, place_button=place_button, address=address, location=location,
                     photos=photos, caption=caption)
    await resident.press("✅ 提交")
    reply = await resident.wait_for_message("已受理")
    return number_in(reply["text"])


async def to_summary(
    resident: SandboxUser,
    text: str,
    *,
    place_button: str | None = None,
    address: str | None = None,
    location: tuple[float, float] | None = None,
    photos: int = 0,
    caption: str | None = None,
) -> Message:
    """The flow up to the summary card (请核对), which is returned unpressed."""
    await resident.send_text(text)
    await resident.wait_for_message("问题在哪里" if place_button is None else "识别到地点")
    if place_button is not None:
        await resident.press(place_button)
    elif address is not None:
        await resident.send_text(address)
    elif location is not None:
        await resident.press("📍 发送当前位置", location=location)
    else:
        await resident.press("跳过")
    await resident.wait_for_message("现场照片")
    if photos:
        await resident.send_photo([png(rgb=(i * 40, 90, 90)) for i in range(photos)], caption=caption)
        await resident.wait_for_message("已收到照片")
        await resident.press("完成")
    else:
        await resident.press("跳过")
    return await resident.wait_for_message("请核对")


async def case_row(app: Any, number: str) -> CaseRow:
    async with app.uow() as uow:
        row = await uow.session.scalar(select(CaseRow).where(CaseRow.number == number))
        assert row is not None
        return row


async def transcript(app: Any, chat_id: int) -> list[MessageRow]:
    async with app.uow() as uow:
        return list(
            (
                await uow.session.scalars(
                    select(MessageRow).where(MessageRow.chat_id == chat_id).order_by(MessageRow.id)
                )
            ).all()
        )


async def outbox(app: Any) -> list[OutboxRow]:
    async with app.uow() as uow:
        return list((await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())


async def webhook_set(sandbox: Any, timeout: float = 5.0) -> Any:
    """The sandbox's webhook, once the bot has set it."""
    for _ in range(int(timeout / 0.1)):
        if sandbox.world.webhook is not None:
            return sandbox.world.webhook
        await asyncio.sleep(0.1)
    raise TimeoutError("the bot did not set its webhook")


async def webhook_shards(app: Any, sandbox: Any, nlu: Any, worker_nlu: str, secret: str) -> tuple[Any, Any, str]:
    """`gridbot run --webhook URL --workers 2` in this process, on a free port: (the
    ShardedBot, its runtime, the webhook URL). `worker_nlu`: the workers' --nlu."""
    import socket

    from bot.runtime import build_runtime
    from gridbot.processes.shard_intake import ShardedBot

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    runtime = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url)
    url = f"http://127.0.0.1:{port}/tg/hook"
    sharded = await ShardedBot.start(
        runtime, 2, settings=app.settings, token=sandbox.token, api_base=sandbox.url, channel="sandbox",
        nlu=worker_nlu, webhook=url, listen=f"127.0.0.1:{port}", webhook_secret=secret,
    )
    return sharded, runtime, url


# The sandbox does not enforce its injected 429s: the bot waits a fiftieth of retry_after.
FAST_RETRY = RetryPolicy(budget_s=3.0, backoff_s=0.02, max_backoff_s=0.2, retry_after_scale=0.02)
FAST_START = Backoff(backoff_s=0.02, max_backoff_s=0.2, retry_after_scale=0.02)


def faulty_runtime(app: Any, sandbox: Any, nlu: Any, retry: Any = None) -> Any:
    """The bot with short waits. Its relay keeps Telegram's limits off (twenty loops send the
    unit group more than Telegram's 20 messages a minute) and ticks often: the test clock
    runs ten times faster than real time, so the relay's backoff is short too."""
    from bot.runtime import build_runtime

    rt = build_runtime(
        app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox",
        retry=retry or FAST_RETRY, startup=FAST_START,
    )
    rt.relay.limiter = SendLimiter(enabled=False)
    rt.relay.idle_s = rt.relay.tick_s = 0.05
    return rt
