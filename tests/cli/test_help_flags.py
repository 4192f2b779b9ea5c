"""`--help` shows plain flags bare: a flag takes no value, so it gets no metavar."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from gridbot.cli import app

RUNNER = CliRunner()


def _help(args: list[str]) -> str:
    result = RUNNER.invoke(app, [*args, "--help"], env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        (["report"], ["--csv", "--json", "--help"]),
        (["run"], ["--scheduler", "--help"]),
        (["route"], ["--strict"]),
        (["nlu", "classify"], ["--help"]),
    ],
)
def test_plain_flags_have_no_metavar(args: list[str], flags: list[str]) -> None:
    out = _help(args)
    assert "<bool>" not in out, out
    for flag in flags:
        row = next(line for line in out.splitlines() if re.search(rf"{flag}\b", line))
        assert "<" not in row, row


def test_options_with_values_keep_their_type() -> None:
    out = _help(["report"])
    month = next(line for line in out.splitlines() if "--month" in line)
    assert "<str>" in month, month
    level = next(line for line in out.splitlines() if "--level" in line)
    assert "<int>" in level, level
