"""Bot tests run the REAL aiogram client against the sandbox Bot API, in this event loop:

sandbox (demo county: residents, grid workers, unit groups)  ◄── SandboxUser drivers
    ▲ getUpdates / sendMessage … over HTTP (TelegramAPIServer)
bot runtime (dispatcher, routers, relay, transcript) ── app (SQLite / PostgreSQL)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.bot.fakes import ScriptedNlu

# Demo people and groups (gridbot/demo): 五丰菜市场 is in 五丰社区第1网格 (G-01-02-01-01),
# street vending there goes to 城西执法中队 (zf-chengxi, group -1001000000002).
RESIDENT, RESIDENT2 = 100001, 100002
WORKER_WUFENG = 200006  # 邱春梅, grid worker of G-01-02-01-*
UNIT_CHENGXI, UNIT_CHENGXI_2 = 300001, 300002  # 王强, 曾志勇 of zf-chengxi
UNIT_OTHER = 300003  # 刘卫东 of zf-chengguan
CHENGXI_GROUP = -1001000000002
CENTRE_GROUP = -1001000000029
DISPATCHER = 400001


@pytest.fixture
def nlu() -> ScriptedNlu:
    return ScriptedNlu()


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    from gridbot.demo import DEMO_DIR
    from tgsandbox.demo import demo_world
    from tgsandbox.server import start_sandbox

    handle = await start_sandbox(**demo_world(DEMO_DIR))
    try:
        yield handle
    finally:
        await handle.close()


@pytest.fixture
async def runtime(app: Any, sandbox: Any, nlu: ScriptedNlu) -> AsyncIterator[Any]:
    from bot.runtime import build_runtime

    rt = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox")
    await rt.start(polling_timeout=1)
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.fixture
async def people(sandbox: Any, runtime: Any) -> AsyncIterator[Any]:
    """A SandboxClient; `people.user(id)` is one person at the keyboard."""
    client = sandbox.client()
    try:
        yield client
    finally:
        await client.close()


def market_point(app: Any) -> tuple[float, float]:
    """(lat, lon) of 五丰菜市场 from the loaded demo county."""
    grid = app.registry.tree.by_id["G-01-02-01-01"]
    place = next(p for p in grid.places if p.name == "五丰菜市场")
    return place.lat, place.lon
