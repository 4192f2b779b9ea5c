"""`gridbot run --workers 2 --ops-listen …`: the parent's /metrics shows what the workers
counted (prometheus_client's multiprocess mode), summed over both, and stays right when a
worker is killed and restarted; the run's metrics directory is gone after it stops."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from tests.bot.helpers import watching
from tests.bot.test_run_ops import free_port, sample
from tests.bot.test_run_startup import demo_dir

__all__ = ["demo_dir"]

PEOPLE = (100001, 100002, 100003, 100004)  # sender % 2: two on each worker


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").partition("=")[::2] for item in raw if item)


async def counted(ops: httpx.AsyncClient, expected: int) -> str:
    """/metrics once the updates counted reach `expected` (the count comes just after the reply)."""
    text = ""
    for _ in range(300):
        r = await ops.get("/metrics")
        assert r.status_code == 200, r.text
        text = r.text
        if sample(text, "gridbot_updates_total") >= expected:
            break
        await asyncio.sleep(0.1)
    return text


async def say_start(client, person: int) -> None:  # type: ignore[no-untyped-def]
    user = await watching(client.user(person))
    await user.send_text("/start")
    await user.wait_for_message("随手拍", timeout=60)


async def test_the_parents_metrics_sum_every_worker(demo_dir: Path, sandbox) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "GRIDBOT_DATA_DIR": str(demo_dir), "TELEGRAM_BOT_TOKEN": sandbox.token,
           "GRIDBOT_TELEGRAM_API": sandbox.url}
    for name in ("GRIDBOT_DATABASE_URL", "GRIDBOT_WEBHOOK_SECRET", "GRIDBOT_REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gridbot.cli", "run", "--no-scheduler", "--workers", "2",
        "--ops-listen", f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    client = sandbox.client()
    metrics_dir: Path | None = None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as ops:
            sent = 0
            for person in PEOPLE:
                await say_start(client, person)
                sent += 1
            text = await counted(ops, sent)
            assert sample(text, "gridbot_updates_total") == sent, text
            assert sample(text, "gridbot_update_handler_seconds_count") == sent
            assert sample(text, 'gridbot_update_handler_seconds_bucket{le="+Inf"}') == sent
            assert "gridbot_outbox_pending " in text and "pid=" not in text  # the parent's gauge, once
            workers = children(proc.pid)
            assert len(workers) == 2, workers
            metrics_dir = Path(environ(next(iter(workers)))["PROMETHEUS_MULTIPROC_DIR"])
            assert metrics_dir.is_dir() and metrics_dir.name.startswith("gridbot-metrics-")
            assert {f"counter_{pid}.db" for pid in workers} <= {p.name for p in metrics_dir.iterdir()}

            victim = next(iter(workers))
            os.kill(victim, signal.SIGKILL)
            for _ in range(600):  # the parent restarts it
                now = children(proc.pid)
                if len(now) == 2 and victim not in now:
                    break
                r = await ops.get("/metrics")
                assert r.status_code == 200
                assert sample(r.text, "gridbot_updates_total") == sent  # the dead worker's counts stay
                await asyncio.sleep(0.1)
            assert victim not in children(proc.pid) and len(children(proc.pid)) == 2
            for person in PEOPLE:  # both workers again, the restarted one included
                await say_start(client, person)
                sent += 1
            text = await counted(ops, sent)
            await asyncio.sleep(0.5)
            text = (await ops.get("/metrics")).text
            assert sample(text, "gridbot_updates_total") == sent, text
            assert sample(text, "gridbot_update_handler_seconds_count") == sent
    finally:
        await client.close()
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()[-3000:]
    assert metrics_dir is not None and not metrics_dir.exists()  # removed at stop
