"""One exit rule for the commands that read JSON Lines (`gridbot route`, `gridbot nlu
classify`), whatever is wrong with a line: it is reported with its line number and skipped,
the other lines are answered, and the exit status is 1; with --strict the first bad line
stops the stream, exit status 1; every line good: 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import yaml

from gridbot.bench.synthetic_county import catch_all_units, make_county
from gridbot.cli.jsonl import MAX_LINE_BYTES


def _run(args: list[str], env: dict[str, str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "gridbot.cli", *args], input=stdin, env=env, capture_output=True, timeout=120
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database with a small county and units, for `route`."""
    tmp = tmp_path_factory.mktemp("exit-rule")
    e = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    e["GRIDBOT_DATA_DIR"] = str(tmp / "data")
    county = make_county(streets=1, communities=1, side=2)
    g, u = tmp / "grids.geojson", tmp / "units.yaml"
    g.write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    u.write_text(yaml.safe_dump(catch_all_units(county), allow_unicode=True), "utf-8")
    assert _run(["grids", "import", str(g)], e).returncode == 0
    assert _run(["units", "import", str(u)], e).returncode == 0
    return e


def _jl(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


COMMON = {  # what either command refuses, by the reader
    "invalid UTF-8": b'{"id": "x", "text": "\xff\xfe"}',
    "not JSON": b"this is not json",
    "not an object": b"[1, 2, 3]",
    "text not a string": _jl({"id": "x", "text": 42}),
}
ROUTE_ONLY = {
    "line too long": _jl({"id": "x", "text": "路" * (MAX_LINE_BYTES // 3 + 10)}),
    "unknown category": _jl({"id": "x", "text": "摆摊", "category": "no_such_category"}),
    "lat without lon": _jl({"id": "x", "text": "摆摊", "lat": 25.8}),
    "bad lat": _jl({"id": "x", "text": "摆摊", "lat": "north", "lon": 1}),
}
CLASSIFY_ONLY = {"no text": _jl({"id": "x"})}


def _check(args: list[str], env: dict[str, str], bad: bytes) -> None:
    good1, good2 = _jl({"id": "a", "text": "菜市场门口有人摆摊"}), _jl({"id": "b", "text": "垃圾没人收"})
    r = _run(args, env, good1 + b"\n" + bad + b"\n" + good2 + b"\n")
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == ["a", "b"]
    assert len(err.strip().splitlines()) == 1 and "line 2:" in err and "Traceback" not in err
    r = _run([*args, "--strict"], env, good1 + b"\n" + bad + b"\n" + good2 + b"\n")
    assert r.returncode == 1
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == ["a"]
    r = _run(args, env, good1 + b"\n\n" + good2 + b"\n")  # every line good (a blank one is no line)
    assert r.returncode == 0, r.stderr.decode()


@pytest.mark.parametrize("kind", [*COMMON, *ROUTE_ONLY])
def test_route_bad_lines(env: dict[str, str], kind: str) -> None:
    _check(["route"], env, {**COMMON, **ROUTE_ONLY}[kind])


@pytest.mark.parametrize("kind", [*COMMON, *CLASSIFY_ONLY])
def test_classify_bad_lines(env: dict[str, str], kind: str) -> None:
    _check(["nlu", "classify"], env, {**COMMON, **CLASSIFY_ONLY}[kind])


@pytest.mark.parametrize("args", [["route"], ["nlu", "classify"]])
def test_the_rule_is_in_the_help(env: dict[str, str], args: list[str]) -> None:
    out = " ".join(_run([*args, "--help"], env).stdout.decode().split())
    assert "Exit status: 0 when every line was answered" in out, out
