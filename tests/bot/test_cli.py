"""The commands: `gridbot sandbox` starts everything and stops cleanly on Ctrl+C; `gridbot
invite` prints a link or a /bind code and fails with one line on bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridbot.cli import app as cli


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GRIDBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return tmp_path


def test_invite_links_and_codes(data_dir: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "load"]).exit_code == 0
    r = runner.invoke(cli, ["invite", "--unit", "zf-chengxi"])
    assert r.exit_code == 0 and r.stdout.startswith("/start ")
    r = runner.invoke(cli, ["invite", "--grid", "G-01-02-01-01", "--bot-username", "qinghe_grid_bot"])
    assert r.exit_code == 0 and r.stdout.startswith("https://t.me/qinghe_grid_bot?start=")
    r = runner.invoke(cli, ["invite", "--unit", "zf-chengxi", "--bind"])
    assert r.exit_code == 0 and r.stdout.startswith("/bind ")
    for args, message in (
        (["invite", "--unit", "nope"], "unknown unit 'nope'"),
        (["invite"], "exactly one of"),
        (["invite", "--grid", "G-01", "--bind"], "--bind needs --unit"),
    ):
        r = runner.invoke(cli, args)
        assert r.exit_code == 1 and message in r.stderr, (args, r.stderr)


def test_run_without_a_token_says_so(data_dir: Path) -> None:
    r = CliRunner().invoke(cli, ["run"])
    assert r.exit_code == 1 and "TELEGRAM_BOT_TOKEN" in r.stderr


def _interrupt_and_check(proc: subprocess.Popen[str], timeout: float, group: bool = False) -> None:
    """Ctrl+C: the command stops by itself, with exit code 0 and no traceback. `group`: to
    the whole process group, as a terminal sends it (the process has its own session)."""
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    err = proc.stderr.read() if proc.stderr else ""
    assert code == 0 and "Traceback" not in err, err


def test_sandbox_command_starts_everything_and_stops_on_ctrl_c(data_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridbot.cli", "sandbox", "--port", "0", "--admin-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        url = None
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("gridbot sandbox: "):
                url = line.split()[-1]
                break
            if not line and proc.poll() is not None:
                break
        assert url, proc.stderr.read() if proc.stderr else ""
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "网格通" in page
        assert (data_dir / "gridbot.sqlite3").exists()
    finally:
        _interrupt_and_check(proc, 30)


def test_sandbox_with_two_bot_workers_answers_and_stops_cleanly(data_dir: Path) -> None:
    import asyncio

    from tgsandbox.client import SandboxClient

    proc = subprocess.Popen(
        [sys.executable, "-m", "gridbot.cli", "sandbox", "--port", "0", "--admin-port", "0",
         "--workers", "2", "--no-scheduler"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "bot worker processes" in line or (not line and proc.poll() is not None):
                break
        url = next((ln.split()[-1] for ln in lines if ln.startswith("gridbot sandbox: ")), None)
        assert url and "2 bot worker processes" in lines[-1], (lines, proc.stderr.read() if proc.stderr else "")

        async def talk() -> None:
            async with SandboxClient(url.rstrip("/")) as client:
                for person in (100001, 100002):  # one on each worker
                    user = client.user(person)
                    await user.send_text("你好")
                    await user.wait_for_message("请直接描述", timeout=30)

        asyncio.run(talk())
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) >= 2, children  # the workers (and the admin's helpers, if any)
    finally:
        _interrupt_and_check(proc, 60, group=True)  # the workers get it too
    assert all(not Path(f"/proc/{pid}").exists() for pid in children), "a worker outlived the sandbox"
