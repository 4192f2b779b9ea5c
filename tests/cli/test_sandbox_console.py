"""`gridbot sandbox` with a console that cannot start is an error, never a silent skip."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def test_sandbox_fails_loudly_when_the_console_port_is_taken(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDBOT_", "TELEGRAM_"))}
        env["GRIDBOT_DATA_DIR"] = str(tmp_path)
        try:
            r = subprocess.run(
                [sys.executable, "-m", "gridbot.cli", "sandbox", "--port", "0", "--admin-port", str(port)],
                capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:  # it kept running without its console
            raise AssertionError(f"the sandbox ran on without its console: {exc.stdout!r}") from exc
    assert r.returncode != 0, r.stdout
    assert f"admin console (--admin-port): cannot listen on 127.0.0.1:{port}" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    assert "Ctrl+C stops" not in r.stdout
