"""Static checks: ruff and mypy on every package, and the layer contracts (import-linter)."""

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
    r = run("ruff", "check", "--output-format", "concise", *PACKAGES, "tests")
    assert r.returncode == 0, r.stdout + r.stderr


PACKAGES = ("dispatch", "nlu", "texts", "bot", "admin", "api", "gridbot", "tgsandbox")


def test_mypy_every_package() -> None:
    r = run(sys.executable, "-m", "mypy", *PACKAGES)
    assert r.returncode == 0, r.stdout + r.stderr


def test_imports_point_down() -> None:
    """The contracts in pyproject.toml ([tool.importlinter]): shell → channels → service →
    persistence → domain → leaves; the NLU and the sandbox stand apart."""
    r = run(sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
            " sys.exit(lint_imports_command())")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "broken" in r.stdout and " 0 broken" in r.stdout, r.stdout


def test_packages_are_the_ones_checked() -> None:
    """Every top-level package the project installs is under ruff, mypy and the contracts."""
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    installed = {p.rstrip("*") for p in conf["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert installed == set(PACKAGES)
    assert set(conf["tool"]["importlinter"]["root_packages"]) == set(PACKAGES)
