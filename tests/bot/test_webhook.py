"""`gridbot run --webhook URL`: the same bot with updates pushed to it (the sandbox delivers
webhooks like Telegram, secret token included)."""

from __future__ import annotations

import asyncio
import socket
from contextlib import suppress

from tests.bot.conftest import RESIDENT
from tests.bot.helpers import report, webhook_set


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
    finally:
        serving.cancel()
        with suppress(asyncio.CancelledError):
            await serving
        await runtime.stop()
        await client.close()
