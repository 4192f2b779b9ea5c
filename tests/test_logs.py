"""The redaction and the log formats (the flow through the sandbox: tests/bot/test_log_redaction.py)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.observe import context
from dispatch.settings import Settings
from gridbot.logs import redact, setup_logging


@pytest.mark.parametrize("raw, kept", [
    ("POST http://127.0.0.1:8081/bot123:ABC/sendMessage", "POST http://127.0.0.1:8081/bot***/sendMessage"),
    ("token 987654321:AAH4xK2bQz9_Lm-Np3Rs5Tu7Vw9Xy1Za2Bc!", "token ***token***!"),
    ("电话13812345678，备用 +86 139-1234-5678", "电话***phone***，备用 ***phone***"),
    ("postgresql+asyncpg://gridbot:hunter2@postgres:5432/gridbot", "postgresql+asyncpg://gridbot:***@postgres:5432/gridbot"),
    ("secret=abc&x=1 password: 'p'", "secret=***&x=1 password: '***'"),
    # what must stay readable: case numbers, chat ids, update ids, times
    ("QH-20261123-0001 chat -1001000000002 update 123456 at 1765000000.5",
     "QH-20261123-0001 chat -1001000000002 update 123456 at 1765000000.5"),
])
def test_redact(raw: str, kept: str) -> None:
    assert redact(raw) == kept


def test_text_lines_name_the_case_and_update() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    try:
        setup_logging(Settings(GRIDBOT_LOG_FORMAT="text"), "INFO", stream=out)
        t1, t2 = context.update_id.set(42), context.case_number.set("QH-20261123-0007")
        try:
            logging.getLogger("x").info("hello 13912345678")
        finally:
            context.update_id.reset(t1)
            context.case_number.reset(t2)
        logging.getLogger("x").info("outside")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    first, second = out.getvalue().splitlines()
    assert first.endswith("INFO x: hello ***phone*** [case=QH-20261123-0007 update=42]")
    assert second.endswith("INFO x: outside")


def test_a_bad_log_format_is_a_clear_error(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "gridbot.cli", "api", "--port", "0"], capture_output=True,
                       text=True, timeout=60, cwd=tmp_path,
                       env={"PATH": "/usr/bin:/bin", "GRIDBOT_LOG_FORMAT": "xml", "GRIDBOT_DATA_DIR": str(tmp_path),
                            **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}})
    assert r.returncode == 1 and "GRIDBOT_LOG_FORMAT must be text or json" in r.stderr, r.stderr
