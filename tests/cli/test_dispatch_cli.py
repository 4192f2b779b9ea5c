"""`gridbot grids import`, `units import`, `route` and `db upgrade` as outside checks drive them."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gridbot.bench.synthetic_county import catch_all_units, make_county


def run(args: list[str], env: dict[str, str], stdin: str | bytes = b"") -> subprocess.CompletedProcess[str]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    p = subprocess.run(
        [sys.executable, "-m", "gridbot.cli", *args], input=data, env=env, capture_output=True, timeout=120
    )
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode(), p.stderr.decode())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    e["GRIDBOT_DATA_DIR"] = str(tmp_path / "data")
    return e


@pytest.fixture
def county_files(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    county = make_county(streets=2, communities=2, side=2)
    units = catch_all_units(county)
    units["units"].append(
        {
            "id": "zf-1",
            "name": "第一执法中队",
            "kind": "law_enforcement",
            "chat_id": -100555,
            "categories": ["street_vending", "clutter"],
            "grids": ["S-01-01"],
        }
    )
    g, u = tmp_path / "grids.geojson", tmp_path / "units.yaml"
    g.write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    u.write_text(yaml.safe_dump(units, allow_unicode=True), "utf-8")
    return g, u, county


def routes(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_import_and_route(env: dict[str, str], county_files: tuple[Path, Path, dict[str, Any]]) -> None:
    g, u, _ = county_files
    r = run(["grids", "import", str(g)], env)
    assert r.returncode == 0, r.stderr
    assert "23" in r.stdout
    assert run(["grids", "import", str(g)], env).returncode == 0  # idempotent
    r = run(["units", "import", str(u)], env)
    assert r.returncode == 0, r.stderr
    lines = [
        {"id": "1", "text": "有人摆摊", "category": "street_vending", "lat": 25.8062, "lon": 115.0075},
        {"id": "2", "text": "垃圾没人收", "category": "garbage", "lat": 25.8062, "lon": 115.0075},
        {"id": "3", "text": "S1C2G3菜市场门口有人摆摊", "category": "street_vending"},
        {"id": "4", "text": "有人摆摊", "category": "street_vending", "lat": 10.0, "lon": 10.0},
        {"id": "5", "text": "有人摆摊", "category": "street_vending"},
    ]
    r = run(["route"], env, "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    assert r.returncode == 0, r.stderr
    out = routes(r.stdout)
    assert [o["id"] for o in out] == ["1", "2", "3", "4", "5"]
    assert out[0]["grid_id"] == "S-01-01-01-01" and out[0]["unit_id"] == "zf-1"
    assert out[0]["reason"].startswith("第1街道第1社区第1网格 · 占道经营 → 第一执法中队")
    assert out[1]["unit_id"] == "st-S-01-01-01"  # catch-all station
    assert out[2]["grid_id"] == "S-01-01-02-03" and "S1C2G3菜市场" in out[2]["reason"]
    assert out[3]["grid_id"] is None and out[3]["unit_id"] is None and out[3]["reason"]
    assert out[4]["grid_id"] is None and out[4]["reason"]
    for o in out:
        assert set(o) >= {"id", "category", "grid_id", "unit_id", "emergency", "reason"}


def test_bad_route_lines_are_reported_and_others_answered(env: dict[str, str], county_files: Any) -> None:
    g, u, _ = county_files
    run(["grids", "import", str(g)], env)
    run(["units", "import", str(u)], env)
    stdin = (
        b'{"id": "a", "text": "\xe6\x91\x86\xe6\x91\x8a", "category": "street_vending"}\n'
        b"not json\n"
        b'{"id": "b", "text": "x", "category": "no_such_category"}\n'
        b"\xff\xfe\n"
        b'{"id": "c", "text": "x", "lat": 25.8}\n'
        b'{"id": "d", "text": "x", "lat": "north", "lon": 1}\n'
        b'{"id": "e", "text": "\xe6\x91\x86\xe6\x91\x8a", "category": "garbage"}\n'
    )
    r = run(["route"], env, stdin)
    assert r.returncode != 0
    assert [o["id"] for o in routes(r.stdout)] == ["a", "e"]
    for n in (2, 3, 4, 5, 6):
        assert f"line {n}:" in r.stderr
    assert "no_such_category" in r.stderr
    r = run(["route", "--strict"], env, stdin)
    assert r.returncode != 0 and [o["id"] for o in routes(r.stdout)] == ["a"]


def test_bad_files_fail_cleanly_and_import_nothing(
    env: dict[str, str], county_files: Any, tmp_path: Path
) -> None:
    g, u, county = county_files
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    r = run(["grids", "import", str(bad)], env)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1 and "invalid JSON" in r.stderr
    r = run(["grids", "import", str(tmp_path / "missing.json")], env)
    assert r.returncode != 0 and "cannot read" in r.stderr

    broken = copy.deepcopy(county)
    broken["features"][-1]["geometry"]["coordinates"][0].pop()  # the last grid's ring no longer closes
    bad.write_text(json.dumps(broken), "utf-8")
    r = run(["grids", "import", str(bad)], env)
    assert r.returncode != 0 and "does not close" in r.stderr and "S-01-02-02-04" in r.stderr
    # nothing was imported: a point in a valid grid of that file does not resolve
    r = run(
        ["route"],
        env,
        json.dumps({"id": "x", "text": "t", "category": "garbage", "lat": 25.8062, "lon": 115.0075}) + "\n",
    )
    assert routes(r.stdout)[0]["grid_id"] is None

    assert run(["grids", "import", str(g)], env).returncode == 0
    tie = yaml.safe_load(u.read_text("utf-8"))
    tie["units"].append(
        {
            "id": "zf-2",
            "name": "第二执法中队",
            "kind": "law_enforcement",
            "categories": ["clutter"],
            "grids": ["S-01-01"],
        }
    )
    u.write_text(yaml.safe_dump(tie, allow_unicode=True), "utf-8")
    r = run(["units", "import", str(u)], env)
    assert r.returncode != 0 and "tie" in r.stderr and "zf-1" in r.stderr and "zf-2" in r.stderr
    r = run(
        ["route"],
        env,
        json.dumps({"id": "x", "text": "t", "category": "clutter", "lat": 25.8062, "lon": 115.0075}) + "\n",
    )
    assert routes(r.stdout)[0]["unit_id"] is None  # no unit was half-imported
    bad.write_text("units:\n  - id: a\n    name: [unclosed\n", "utf-8")
    r = run(["units", "import", str(bad)], env)
    assert r.returncode != 0 and "invalid YAML at line" in r.stderr


def test_db_upgrade(env: dict[str, str]) -> None:
    from alembic.script import ScriptDirectory

    from dispatch.db.db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    r = run(["db", "upgrade"], env)
    assert r.returncode == 0 and f"revision {head}" in r.stdout, r.stdout + r.stderr
    bad = dict(env, GRIDBOT_DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    r = run(["db", "upgrade"], bad)
    assert r.returncode != 0 and r.stderr.startswith("gridbot: error: database upgrade failed")
