"""Static checks the team agreed on: ruff everywhere, mypy on dispatch/ and nlu/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
def test_ruff() -> None:
    r = run("ruff", "check", "--output-format", "concise", "dispatch", "nlu", "gridbot", "bot", "admin", "texts", "tests")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_dispatch_and_nlu() -> None:
    r = run(sys.executable, "-m", "mypy", "dispatch", "nlu")
    assert r.returncode == 0, r.stdout + r.stderr
