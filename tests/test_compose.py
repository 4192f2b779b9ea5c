"""docker-compose.yml is valid and every gridbot command it runs exists with those options."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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
            out.append([c.replace("${GRIDBOT_DOMAIN:-localhost}", "x") for c in cmd[1:]])
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


# -- the proxy, scaling and health ----------------------------------------------------------------
def compose() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    assert isinstance(doc, dict)
    return doc


def option(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_bot_workers_scale_behind_the_proxy() -> None:
    services = compose()["services"]
    bot = services["bot"]
    # `docker-compose up --scale bot=N`: nothing that only one container can have
    assert "container_name" not in bot and "ports" not in bot
    listen_port = option(bot["command"], "--listen").rpartition(":")[2]
    webhook_path = "/" + option(bot["command"], "--webhook").split("://", 1)[1].split("/", 1)[1]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text("utf-8")
    assert f"handle {webhook_path} {{" in caddyfile
    assert f"dynamic a bot {listen_port}" in caddyfile  # every container of the service, by name
    proxy = services["proxy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    for name in ("admin", "api"):  # reached through the proxy only
        assert "ports" not in services[name], name
        port = option(services[name]["command"], "--port")
        assert f"reverse_proxy {name}:{port}" in caddyfile


def test_every_gridbot_process_has_a_readiness_healthcheck() -> None:
    services = compose()["services"]
    for name, service in services.items():
        cmd = service.get("command") or []
        if cmd[:1] != ["gridbot"] or name == "migrate":
            continue
        probe = " ".join(service["healthcheck"]["test"])
        port = (option(cmd, "--ops-listen") if "--ops-listen" in cmd else option(cmd, "--port")).rpartition(":")[2]
        assert f"http://127.0.0.1:{port}/readyz" in probe, (name, probe)
        assert probe.startswith("CMD python -c")  # the image has Python, not curl


@pytest.mark.skipif(shutil.which("caddy") is None and not os.environ.get("CI"), reason="caddy not installed")
def test_caddyfile_adapts_and_keeps_the_ops_endpoints_private() -> None:
    r = subprocess.run(["caddy", "adapt", "--adapter", "caddyfile", "--config", str(ROOT / "deploy" / "Caddyfile")],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "GRIDBOT_DOMAIN": "grid.example.org"})
    assert r.returncode == 0, r.stderr
    config = json.loads(r.stdout)
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["routes"][0]["match"] == [{"host": ["grid.example.org"]}]
    text = json.dumps(server)
    assert '"source": "a"' in text and '"name": "bot"' in text
    routes = server["routes"][0]["handle"][0]["routes"]
    blocked = next(r for r in routes if r.get("match") == [{"path": ["/healthz", "/readyz", "/metrics"]}])
    assert '"status_code": 404' in json.dumps(blocked)
