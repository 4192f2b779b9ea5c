"""`gridbot bench bot`: its options, any number of residents, nothing left behind.

Short runs (a second or two measured): these check what the command does and reports, not
how fast anything is."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GRIDBOT = [sys.executable, "-m", "gridbot.cli"]


def bench(tmp: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("GRIDBOT_REDIS_URL", None)
    return subprocess.run([*GRIDBOT, "bench", "bot", "--nlu", "fake", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def left_behind(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir())


def test_two_hundred_residents_a_window_and_json(tmp_path: Path) -> None:
    r = bench(tmp_path, "--residents", "200", "--warmup", "0.5", "--duration", "1.5", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout)
    assert result["residents"] == 200 and result["window_s"] >= 1.5 and result["warmup_s"] == 0.5
    assert result["complete_reports_total"] > 0 and result["replies"] > 0  # a loaded machine: few in 1.5 s
    assert set(result["delivery"]) >= {"group_cards_per_min", "pending_after_window"}
    assert "reports/s" in r.stderr  # the table, on stderr when stdout carries the JSON
    assert left_behind(tmp_path) == []


def test_the_table_and_the_bare_bot_beside_it(tmp_path: Path) -> None:
    r = bench(tmp_path, "--residents", "5", "--warmup", "0.2", "--duration", "1", "--bare")
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    assert any(line.startswith("reports/s") for line in lines)
    assert any(line.startswith("bare aiogram") for line in lines)
    assert any(line.startswith("gridbot / bare") for line in lines)
    assert left_behind(tmp_path) == []


def test_a_failing_run_removes_its_temporary_data(tmp_path: Path) -> None:
    r = bench(tmp_path, "--duration", "1", "--database-url", "postgresql+asyncpg://nobody@127.0.0.1:9/none",
              timeout=120)
    assert r.returncode != 0
    assert left_behind(tmp_path) == []


def test_ctrl_c_removes_its_temporary_data_and_the_driver(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    # A job started in the background of a non-interactive shell (as CI may run the suite)
    # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler: give the
    # bench the default disposition a terminal's Ctrl+C meets.
    p = subprocess.Popen([*GRIDBOT, "bench", "bot", "--nlu", "fake", "--residents", "5", "--duration", "60"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert p.stderr is not None
        for line in p.stderr:  # running: the bot answers the residents
            if line.startswith("bench:"):
                break
        time.sleep(1.0)
        assert left_behind(tmp_path)  # the run's directory exists while it runs
        p.send_signal(signal.SIGINT)
        # stopping stops the bot (its long poll, in-flight handlers), the relay and the driver:
        # seconds on a quiet machine, more under a loaded CI
        assert p.wait(timeout=180) != 0
    finally:
        p.kill()
        p.wait()
    assert left_behind(tmp_path) == []
    drivers = subprocess.run(["pgrep", "-f", f"gridbot.bench.bot_driver {tmp_path}"], capture_output=True)
    assert drivers.stdout == b""


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_ctrl_c_while_seeding_leaves_nothing_behind(tmp_path: Path, database: str) -> None:
    pg = os.environ.get("GRIDBOT_TEST_PG_URL")
    if database == "postgres" and not pg:
        pytest.skip("GRIDBOT_TEST_PG_URL not set")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("GRIDBOT_REDIS_URL", None)
    p = subprocess.Popen([*GRIDBOT, "bench", "bot", "--nlu", "fake", "--residents", "2", "--duration", "5",
                          "--existing-cases", "1000000", *(["--database-url", pg] if pg and database == "postgres"
                                                           else [])],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert p.stderr is not None
        for line in p.stderr:
            if line.startswith("seeding"):
                break
        time.sleep(3.0)  # well into the load, far from its end
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=120) != 0
        assert "seeded" not in (p.stderr.read() or "")  # stopped during the load, not after it
    finally:
        p.kill()
        p.wait()
    assert left_behind(tmp_path) == []
    if pg and database == "postgres":
        assert "gridbot_bench_" not in _databases(pg)


@pytest.mark.postgres
def test_postgresql_redis_and_existing_cases(tmp_path: Path) -> None:
    pg, redis_url = os.environ.get("GRIDBOT_TEST_PG_URL"), os.environ.get("GRIDBOT_TEST_REDIS_URL")
    if not pg or not redis_url:
        pytest.skip("GRIDBOT_TEST_PG_URL and GRIDBOT_TEST_REDIS_URL not set")
    import redis

    stale = redis.Redis.from_url(redis_url)
    stale.set("fsm:700001:700001:state", "Report:photos")  # left by an earlier run
    r = bench(tmp_path, "--residents", "5", "--warmup", "0.2", "--duration", "1", "--database-url", pg,
              "--redis", redis_url, "--existing-cases", "3000", "--workers", "2", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout)
    assert result["database"].startswith("postgresql") and result["redis"] is True
    assert result["bot_workers"] == 2 and result["existing_cases"] == 3000
    assert result["cases_in_db"] >= 3000 + result["complete_reports"]
    assert left_behind(tmp_path) == []
    assert "gridbot_bench_" not in _databases(pg)  # its temporary database is dropped
    assert result["failed"] == 0  # resident 1 did not start in the stale state
    assert not list(stale.scan_iter(match="fsm:70000*"))  # the residents' state is gone
    stale.close()


def _databases(url: str) -> str:
    code = (
        "import asyncio, sys; from sqlalchemy.ext.asyncio import create_async_engine\n"
        "async def main():\n"
        "    e = create_async_engine(sys.argv[1])\n"
        "    async with e.connect() as c:\n"
        "        print(' '.join(r[0] for r in await c.exec_driver_sql('SELECT datname FROM pg_database')))\n"
        "    await e.dispose()\n"
        "asyncio.run(main())\n"
    )
    return subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True).stdout
