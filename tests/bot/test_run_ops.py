"""`gridbot run --ops-listen` as deployed: /readyz (database, Bot API) and /metrics of the
running process count the updates it handled; its log is JSON lines without the token."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.bot.conftest import RESIDENT
from tests.bot.test_run_startup import demo_dir

__all__ = ["demo_dir"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample(metrics: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(name))


async def test_run_serves_readiness_and_metrics(demo_dir: Path, sandbox) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "GRIDBOT_DATA_DIR": str(demo_dir), "TELEGRAM_BOT_TOKEN": sandbox.token,
           "GRIDBOT_TELEGRAM_API": sandbox.url, "GRIDBOT_LOG_FORMAT": "json", "GRIDBOT_LOG_LEVEL": "DEBUG"}
    for name in ("GRIDBOT_DATABASE_URL", "GRIDBOT_WEBHOOK_SECRET", "GRIDBOT_REDIS_URL"):
        env.pop(name, None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gridbot.cli", "run", "--no-scheduler", "--ops-listen", f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    client = sandbox.client()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as ops:
            for _ in range(600):
                try:
                    r = await ops.get("/readyz")
                    break
                except httpx.TransportError:
                    assert proc.returncode is None, (await proc.stderr.read()).decode()
                    await asyncio.sleep(0.1)
            assert r.status_code == 200, r.text
            checks = r.json()["checks"]
            assert set(checks) == {"database", "bot_api"} and all(c["ok"] for c in checks.values())
            resident = client.user(RESIDENT)
            await resident.send_text("/start")
            await resident.wait_for_message("随手拍", timeout=60)
            metrics = (await ops.get("/metrics")).text
            assert sample(metrics, 'gridbot_updates_total{kind="message"}') >= 1
            assert sample(metrics, "gridbot_update_handler_seconds_count") >= 1
            assert "gridbot_outbox_pending " in metrics
            assert (await ops.get("/healthz")).json() == {"status": "ok"}
    finally:
        await client.close()
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    lines = err.decode().splitlines()
    assert lines and all(json.loads(line)["logger"] for line in lines)
    assert sandbox.token not in err.decode()
    assert any(json.loads(line).get("update_id") is not None for line in lines)
