"""`gridbot run --webhook URL`: the same bot with updates pushed to it (the sandbox delivers
webhooks like Telegram, secret token included). Only posts with the secret are handled; a
body that is not an update gets 400, an update that does not fit the schema is skipped."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from contextlib import suppress

import aiohttp
import pytest

from tests.bot.conftest import RESIDENT
from tests.bot.helpers import report, webhook_set

SECRET = "X-Telegram-Bot-Api-Secret-Token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_handles_a_report(app, sandbox, nlu):
    from bot.runtime import build_runtime, serve_webhook

    runtime = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox")
    port = _free_port()
    serving = asyncio.create_task(
        serve_webhook(runtime, f"http://127.0.0.1:{port}/tg/hook", f"127.0.0.1:{port}", "s3cret-token")
    )
    client = sandbox.client()
    try:
        assert (await webhook_set(sandbox)).secret_token == "s3cret-token"
        resident = client.user(RESIDENT)
        await resident.send_text("/start")
        await resident.wait_for_message("随手拍")
        number = await report(resident, "人民广场垃圾没人收", place_button="就在人民广场")
        assert number.startswith("QH-")

        url = f"http://127.0.0.1:{port}/tg/hook"
        forged = {"update_id": 10**6, "message": {
            "message_id": 999, "date": 1, "chat": {"id": RESIDENT, "type": "private"},
            "from": {"id": RESIDENT, "is_bot": False, "first_name": "x"}, "text": "/help"}}
        before = len(await resident.messages())
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {SECRET: "guessed"}):
                async with http.post(url, json=forged, headers=headers) as r:
                    assert r.status == 401
            for body in (b"{not json", b"[1, 2]", b'{"message": {}}'):
                async with http.post(url, data=body, headers={SECRET: "s3cret-token"}) as r:
                    assert r.status == 400, body
            unreadable = {"update_id": 10**6 + 1, "message": {"message_id": 1, "date": 1, "text": "no chat"}}
            async with http.post(url, json=unreadable, headers={SECRET: "s3cret-token"}) as r:
                assert r.status == 200  # skipped: Telegram must not send it again
        await resident.send_text("/start")
        await resident.wait_for_message("随手拍")
        said = (await resident.messages())[before:]
        assert len(said) == 2  # /start and its answer: the forged /help was not handled
    finally:
        serving.cancel()
        with suppress(asyncio.CancelledError):
            await serving
        await runtime.stop()
        await client.close()


async def test_a_webhook_needs_a_secret(app, sandbox, nlu):
    from bot.retry import StartupError
    from bot.runtime import build_runtime, serve_webhook

    runtime = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox")
    try:
        with pytest.raises(StartupError, match="secret"):
            await serve_webhook(runtime, "http://127.0.0.1:1/hook", "127.0.0.1:1", "")
    finally:
        await runtime.stop()
    assert sandbox.world.webhook is None


async def test_a_sharded_webhook_needs_a_secret(app):
    from gridbot.processes.shard_intake import ShardedBot
    from gridbot.processes.shards import ShardError

    with pytest.raises(ShardError, match="secret"):
        await ShardedBot.start(
            None, 2, settings=app.settings, token="t", api_base=None, channel="sandbox",
            webhook="https://example.org/hook", webhook_secret=None,
        )


def test_without_a_secret_one_is_made_and_kept_in_the_data_directory(tmp_path):
    from dispatch.settings import Settings
    from gridbot.processes.launch import _webhook_secret

    settings = Settings(GRIDBOT_DATA_DIR=tmp_path / "data")
    said: list[str] = []
    secret = _webhook_secret(settings, None, said.append)
    path = tmp_path / "data" / "webhook-secret"
    assert len(secret) >= 32 and path.read_text().strip() == secret
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert str(path) in said[0] and secret not in said[0]  # where it is, never the secret
    assert _webhook_secret(settings, None, said.append) == secret  # kept across restarts
    # a secret given (option, or GRIDBOT_WEBHOOK_SECRET in the environment or .env) wins
    assert _webhook_secret(settings, "given", said.append) == "given"
    configured = Settings(GRIDBOT_DATA_DIR=tmp_path / "other", GRIDBOT_WEBHOOK_SECRET="from-env")
    assert _webhook_secret(configured, None, said.append) == "from-env"
    assert not (tmp_path / "other").exists() and len(said) == 2



async def test_an_update_is_answered_only_once_it_was_handled(app, sandbox, nlu):
    """A worker killed while handling has not answered yet, so Telegram posts the update again
    (at least once); answered at once and handled afterwards, it was lost with the worker. The
    bot's reply is at the Bot API before the update's post gets its 200."""
    from bot.runtime import build_runtime, serve_webhook

    runtime = build_runtime(app, nlu, token=sandbox.token, api_base=sandbox.url, channel="sandbox")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    serving = asyncio.create_task(serve_webhook(runtime, url, f"127.0.0.1:{port}", "s3cret-token"))
    client = sandbox.client()
    world = sandbox.world
    try:
        await webhook_set(sandbox)
        resident = client.user(RESIDENT)
        await resident.send_text("/start")
        await resident.wait_for_message("随手拍")
        chat = world.chat(RESIDENT)
        answered_at: dict[int, int] = {}  # update id → the bot's messages when its post got 200
        remove = world.updates.remove

        def answered(update_id: int) -> None:
            answered_at[update_id] = chat.bot_sent
            remove(update_id)

        world.updates.remove = answered
        sent = chat.bot_sent
        await resident.send_text("/help")
        help_update = world.updates.next_id - 1  # the /help just sent
        for _ in range(200):
            if help_update in answered_at and chat.bot_sent > sent:
                break
            await asyncio.sleep(0.05)
        assert chat.bot_sent > sent, "no answer to /help"
        assert answered_at[help_update] > sent, "the post was answered before the update was handled"
    finally:
        serving.cancel()
        with suppress(asyncio.CancelledError):
            await serving
        await runtime.stop()
        await client.close()
