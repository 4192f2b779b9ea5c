"""`gridbot run` (the process, as deployed) at start-up: Telegram failing every start call for
a while (429 with retry_after, 500) does not stop it — it waits, then answers; a refused
token stops it at once with one clear line (and without printing the token)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gridbot.cli import app as cli
from tests.bot.conftest import RESIDENT

START_CALLS = frozenset({"getMe", "deleteWebhook", "setMyCommands"})


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GRIDBOT_DATABASE_URL", raising=False)
    assert CliRunner().invoke(cli, ["demo", "load"]).exit_code == 0
    return tmp_path


async def gridbot_run(data_dir: Path, token: str, api: str) -> Any:
    env = {**os.environ, "GRIDBOT_DATA_DIR": str(data_dir), "TELEGRAM_BOT_TOKEN": token,
           "GRIDBOT_TELEGRAM_API": api}
    env.pop("GRIDBOT_DATABASE_URL", None)
    env.pop("GRIDBOT_WEBHOOK_SECRET", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gridbot.cli", "run", "--no-scheduler",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )


async def test_run_waits_out_failing_start_calls_then_answers(demo_dir, sandbox) -> None:
    sandbox.set_faults(rate_429=0.6, rate_500=0.4, retry_after=1, methods=START_CALLS)
    proc = await gridbot_run(demo_dir, sandbox.token, sandbox.url)
    client = sandbox.client()
    try:
        for _ in range(600):
            failed = sandbox.api.faults.by_method.get("getMe", {})
            if failed.get("429", 0) + failed.get("500", 0) >= 3 or proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert proc.returncode is None, (await proc.stderr.read()).decode()  # still there
        sandbox.set_faults(rate_429=0, rate_500=0)
        resident = client.user(RESIDENT)
        await resident.send_text("/start")
        await resident.wait_for_message("随手拍", timeout=60)
    finally:
        sandbox.set_faults(rate_429=0, rate_500=0)
        await client.close()
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0 and b"Traceback" not in err, err.decode()
    assert "getMe failed" in err.decode()  # it said why it waited


async def test_run_with_a_refused_token_stops_with_one_clear_line(demo_dir, sandbox) -> None:
    token = "123456789:NOT-THE-TOKEN"
    proc = await gridbot_run(demo_dir, token, sandbox.url)
    _, err = await asyncio.wait_for(proc.communicate(), 90)
    text = err.decode()
    assert proc.returncode == 1, text
    assert "gridbot: error: the Bot API refused the bot token" in text and "Traceback" not in text
    assert token not in text
