"""`gridbot history import` and `gridbot report --json` on a month written out by hand.

The expected figures below were worked out from the counting rules (docs/assessment.md),
case by case, not by running the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_dispatch_cli import env, run  # noqa: F401  (the env fixture)

MONTH = Path(__file__).parent / "data" / "history-2026-10.jsonl"


@pytest.fixture
def county(env: dict[str, str]) -> dict[str, str]:  # noqa: F811
    r = run(["demo", "load", "--no-history"], env)
    assert r.returncode == 0, r.stderr
    return env


def report(e: dict[str, str], *args: str) -> dict[str, Any]:
    r = run(["report", *args, "--json"], e)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_month_by_hand(county: dict[str, str]) -> None:
    r = run(["history", "import", str(MONTH)], county)
    assert r.returncode == 0, r.stderr
    out = report(county, "--month", "2026-10", "--level", "4")
    assert out["period"] == "2026-10" and out["as_of"] == "2026-11-01T00:00:00+08:00"
    units = {u["id"]: u for u in out["units"]}
    hw = units["hw-chengqu"]
    # E1 E2 E3 E7 E8 E9 are held by 环卫 at the month's end; E8 is due in November
    assert {k: hw[k] for k in (
        "reported", "active_found", "to_handle", "handled", "handled_on_time", "overdue_open", "reworked",
        "extended", "dispatched", "returned_wrong", "rated", "satisfied", "default_rated", "solved",
    )} == {
        "reported": 6, "active_found": 1, "to_handle": 5, "handled": 4, "handled_on_time": 3,
        "overdue_open": 1, "reworked": 1, "extended": 1, "dispatched": 6, "returned_wrong": 0,
        "rated": 2, "satisfied": 2, "default_rated": 1, "solved": 2,
    }
    assert hw["handle_rate"] == pytest.approx(0.8) and hw["on_time_rate"] == pytest.approx(0.6)
    assert hw["overdue_rate"] == pytest.approx(0.2) and hw["rework_rate"] == pytest.approx(0.25)
    assert hw["extension_rate"] == pytest.approx(0.2) and hw["satisfaction_rate"] == 1.0
    assert hw["solve_rate"] == 1.0 and hw["accurate_dispatch_rate"] == 1.0
    assert hw["score"] == pytest.approx(24 + 12 + 15 + 16 + 8)
    zf = units["zf-chengguan"]  # E3 went there first and was returned
    assert (zf["dispatched"], zf["returned_wrong"], zf["accurate_dispatch_rate"]) == (1, 1, 0.0)
    assert zf["to_handle"] == 0 and zf["handle_rate"] is None and zf["score"] is None
    assert out["ranking"]["units"] == {"top": ["hw-chengqu"], "bottom": []}
    t = out["total"]
    assert (t["reported"], t["active_found"], t["duplicates"], t["cancelled"]) == (7, 2, 1, 1)
    assert (t["to_handle"], t["handled"], t["handled_on_time"], t["overdue_open"]) == (6, 5, 4, 1)
    assert (t["dispatched"], t["returned_wrong"], t["rated"], t["default_rated"]) == (7, 1, 2, 1)
    assert t["rework_rate"] == pytest.approx(1 / 5) and t["accurate_dispatch_rate"] == pytest.approx(6 / 7)
    grids = {g["id"]: g for g in out["grids"]}
    assert set(grids) == {"G-01", "G-01-01", "G-01-01-01", "G-01-01-01-04"}
    assert grids["G-01-01-01-04"]["reported"] == 7 and grids["G-01"]["to_handle"] == 6
    assert grids["G-01-01-01-04"]["points"] == 4
    assert out["ranking"]["grids"]["top"] == ["G-01-01-01-04"]
    (w,) = out["workers"]
    # E2 and E6 reported (+1 each), E6 reviewed on the spot (+2), E2 verified (+1), E5 a duplicate (−1)
    assert (w["id"], w["points"], w["reports"], w["on_spot"], w["verifications"], w["duplicates"]) == (
        "tg-200002", 4, 2, 1, 1, 1)
    # the weekly and quarterly views of the same cases
    week = report(county, "--week", "2026-W42")  # 12–18 Oct: E4, E5 (excluded), E9
    assert week["total"]["reported"] == 1 and week["total"]["extended"] == 1
    q = report(county, "--quarter", "2026-Q4")
    assert q["total"]["reported"] == 7 and q["period"] == "2026-Q4"


def test_reimport_changes_nothing_and_nothing_is_sent(county: dict[str, str]) -> None:
    import sqlite3

    assert run(["history", "import", str(MONTH)], county).returncode == 0
    db = Path(county["GRIDBOT_DATA_DIR"]) / "gridbot.sqlite3"
    counts = ("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events),"
              " (SELECT count(*) FROM outbox)")
    before = sqlite3.connect(db).execute(counts).fetchone()
    assert before[0] == 9 and before[2] == 0
    r = run(["history", "import", str(MONTH)], county)
    assert r.returncode == 0 and "0 cases created" in r.stdout and "32 already imported" in r.stdout
    assert sqlite3.connect(db).execute(counts).fetchone() == before
    notes = sqlite3.connect(db).execute(
        "SELECT data FROM case_events WHERE action = 'extended'").fetchone()
    assert json.loads(notes[0])["source"] == {"approver": "王主任"}  # kept, not refused


def test_an_impossible_sequence_is_refused_with_its_line_and_writes_nothing(
    county: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = MONTH.read_text("utf-8").splitlines()[:4]
    lines.append('{"case": "E1", "at": "2026-10-04T09:00:00+08:00", "action": "accept"}')  # closed already
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    r = run(["history", "import", str(bad)], county)
    assert r.returncode == 1 and "line 5:" in r.stderr
    assert report(county, "--month", "2026-10")["total"]["reported"] == 0  # all or nothing
    bad.write_text('{"case": "X", "at": "2026-10-04T09:00:00+08:00", "action": "report"\n', "utf-8")
    r = run(["history", "import", str(bad)], county)
    assert r.returncode == 1 and "line 1: not valid JSON" in r.stderr
    r = run(["report", "--week", "2026-48"], county)
    assert r.returncode == 1 and "2026-W48" in r.stderr


def test_the_demo_county_comes_with_a_month_of_history(env: dict[str, str]) -> None:  # noqa: F811
    r = run(["demo", "load"], env)
    assert r.returncode == 0 and "demo history: 320 cases" in r.stdout, r.stderr
    import sqlite3

    db = Path(env["GRIDBOT_DATA_DIR"]) / "gridbot.sqlite3"
    last = sqlite3.connect(db).execute("SELECT max(created_at) FROM cases").fetchone()[0][:7]
    out = report(env, "--month", last)
    assert out["total"]["reported"] > 0 and out["workers"] and out["ranking"]["units"]["top"]
    assert run(["demo", "load"], env).returncode == 0  # again: nothing doubles
    assert sqlite3.connect(db).execute("SELECT count(*) FROM cases").fetchone()[0] == 320
    assert sqlite3.connect(db).execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
