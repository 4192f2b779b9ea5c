"""A sandbox per test, the real aiogram client pointed at it, and a driver for its people."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tgsandbox.client import SandboxClient
from tgsandbox.config import SandboxConfig
from tgsandbox.server import SandboxHandle, start_sandbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

RESIDENT = 100001  # has pressed START
NEWCOMER = 100002  # has not
MEMBER = 300001
MEMBER2 = 300002
UNIT_GROUP = -1001000000002  # a supergroup, like the demo county's unit groups
BASIC_GROUP = -4000000001  # a basic group (can be upgraded)

USERS = [
    {"tg_id": RESIDENT, "name": "张桂兰", "roles": ["resident"], "started": True},
    {"tg_id": NEWCOMER, "name": "黄小明", "roles": ["resident"]},
    {"tg_id": MEMBER, "name": "王强", "roles": ["unit_member"], "label": "城西执法中队",
     "started": True},
    {"tg_id": MEMBER2, "name": "曾志勇", "roles": ["unit_member"], "started": True},
]
GROUPS = [
    {"chat_id": UNIT_GROUP, "name": "城西执法中队", "members": [MEMBER, MEMBER2]},
    {"chat_id": BASIC_GROUP, "name": "西山村网格站", "members": [MEMBER]},
]


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig()


@pytest.fixture
async def sandbox(sandbox_config: SandboxConfig) -> AsyncIterator[SandboxHandle]:
    handle = await start_sandbox(config=sandbox_config, users=USERS, groups=GROUPS)
    try:
        yield handle
    finally:
        await handle.close()


async def close_bot(bot: Any) -> None:
    # AiohttpSession.close() sleeps 250 ms for TLS shutdown; there is no TLS here.
    session = getattr(bot.session, "_session", None)
    if session is not None and not session.closed:
        await session.close()


@pytest.fixture
async def demo_sandbox() -> AsyncIterator[SandboxHandle]:
    """A sandbox seeded with the demo county (people, unit groups, the map)."""
    from gridbot.demo import DEMO_DIR
    from tgsandbox.demo import demo_world

    handle = await start_sandbox(**demo_world(DEMO_DIR))
    try:
        yield handle
    finally:
        await handle.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium (Debian's) through Playwright, for the page tests."""
    if not shutil.which(CHROMIUM):
        pytest.skip("needs Debian's chromium")
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def bot(sandbox: SandboxHandle) -> AsyncIterator[Any]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession

    bot = Bot(sandbox.token, session=AiohttpSession(api=sandbox.telegram_server()))
    try:
        yield bot
    finally:
        await close_bot(bot)


@pytest.fixture
async def client(sandbox: SandboxHandle) -> AsyncIterator[SandboxClient]:
    c = sandbox.client()
    try:
        yield c
    finally:
        await c.close()


class Poller:
    """getUpdates with offsets, as a bot's polling loop does it."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot
        self.offset = 0

    async def next(self, timeout: int = 5, **kwargs: Any) -> list[Any]:
        updates = await self.bot.get_updates(offset=self.offset or None, timeout=timeout,
                                             **kwargs)
        if updates:
            self.offset = updates[-1].update_id + 1
        return updates

    async def one(self, timeout: int = 5) -> Any:
        updates = await self.next(timeout)
        assert len(updates) == 1, updates
        return updates[0]


@pytest.fixture
def poller(bot: Any) -> Poller:
    return Poller(bot)
