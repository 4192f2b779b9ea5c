"""docker-compose.yml is valid and every gridbot command it runs exists with those options."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("docker-compose") is None and not os.environ.get("CI"),
                    reason="docker-compose not installed")
def test_compose_file_is_valid(tmp_path: Path) -> None:
    r = _config("POSTGRES_PASSWORD=test\nGRIDBOT_WEBHOOK_SECRET=test\n")
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None and not os.environ.get("CI"),
                    reason="docker-compose not installed")
def test_compose_does_not_start_without_a_webhook_secret() -> None:
    r = _config("POSTGRES_PASSWORD=test\n")
    assert r.returncode != 0 and "GRIDBOT_WEBHOOK_SECRET" in r.stderr


def _config(env: str) -> subprocess.CompletedProcess[str]:
    env_file = ROOT / ".env"
    if env_file.exists():
        pytest.skip("a .env of its own is in the way")
    env_file.write_text(env, "utf-8")
    try:
        r = subprocess.run(["docker-compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "GRIDBOT_WEBHOOK_SECRET"})
    finally:
        env_file.unlink()
    return r


def commands() -> list[list[str]]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    out = []
    for service in doc["services"].values():
        cmd = service.get("command")
        if isinstance(cmd, list) and cmd and cmd[0] == "gridbot":
            out.append([c.replace("${GRIDBOT_WEBHOOK_URL:-https://example.org/telegram}", "https://x")
                        for c in cmd[1:]])
    return out


@pytest.mark.parametrize("args", commands(), ids=lambda a: " ".join(a[:2]))
def test_compose_commands_exist(args: list[str]) -> None:
    # the subcommand path, then every --option it uses, must appear in its --help
    path = [a for a in args if not a.startswith("-")][:1]
    if args[:1] == ["db"]:
        path = ["db", "upgrade"]
    r = subprocess.run([sys.executable, "-m", "gridbot.cli", *path, "--help"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for opt in (a for a in args if a.startswith("--")):
        assert opt in r.stdout, f"{opt} not an option of gridbot {' '.join(path)}"
