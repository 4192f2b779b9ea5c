"""`gridbot policy show | import | export` as an operator runs them, against a database a
running process (the `app` fixture) is using: it notices the import through the version."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from dispatch.db.orm import ConfigAuditRow
from dispatch.service.cases import ReportDraft
from tests.conftest import tg_member

MARKET = (25.838018, 115.021984)


def gridbot(app: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    env.update(GRIDBOT_DATABASE_URL=app.settings.effective_database_url, GRIDBOT_DATA_DIR=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "gridbot.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def shown(out: str) -> dict[str, Any]:
    doc = yaml.safe_load(out)
    assert isinstance(doc, dict)
    return doc


async def test_import_show_export_round_trip(app: Any, tmp_path: Path, clock: Any) -> None:
    r = gridbot(app, tmp_path, "policy", "show")
    assert r.returncode == 0, r.stderr
    doc = shown(r.stdout)
    assert doc["time_limits"]["categories"]["garbage"] == 4  # the taxonomy's, effective
    assert doc["reminders"]["shares"] == [0.5, 0.8] and doc["escalation"]["levels"] == [3, 2, 1]
    assert doc["verification"]["required"] is True and doc["rating"]["default"] == "satisfied"

    example = resources.files("gridbot").joinpath("demo/policy.example.yaml")
    r = gridbot(app, tmp_path, "policy", "import", str(example))
    assert r.returncode == 0, r.stderr
    assert "policy version 1" in r.stdout
    doc = shown(gridbot(app, tmp_path, "policy", "show").stdout)
    assert doc["time_limits"]["categories"]["garbage"] == 3
    assert doc["time_limits"]["categories"]["street_vending"] == 2
    assert doc["time_limits"]["unit_categories"] == {"zf-chengguan": {"street_vending": 1.5}}
    assert doc["calendar"]["mode"] == "working_hours" and "2026-10-01" in doc["calendar"]["holidays"]
    configured = shown(gridbot(app, tmp_path, "policy", "show", "--configured").stdout)
    assert configured["time_limits"]["categories"] == {"garbage": 3, "road_facility": 16}

    # The running process picks the import up at its next version check.
    assert await app.reload_if_changed()
    assert app.registry.policy.calendar.working_hours
    case = await app.service.submit_report(ReportDraft(
        text="解放路菜市场门口有人摆摊", reporter_id=await tg_member(app, 100001), category="street_vending",
        lat=MARKET[0], lon=MARKET[1]))
    assert case.due_at == clock.now() + timedelta(hours=1.5)  # Monday 09:00 + 1.5 working hours
    async with app.uow() as uow:
        row = (await uow.session.scalars(
            select(ConfigAuditRow).where(ConfigAuditRow.object_kind == "policy"))).one()
    assert row.actor_kind == "cli" and "time_limits.categories.garbage: — → 3" in row.summary

    out = tmp_path / "exported.yaml"
    r = gridbot(app, tmp_path, "policy", "export", str(out))
    assert r.returncode == 0, r.stderr
    assert shown(out.read_text("utf-8")) == configured
    r = gridbot(app, tmp_path, "policy", "import", str(out))
    assert r.returncode == 0 and "(0 settings changed)" in r.stdout, r.stdout + r.stderr
    assert not await app.reload_if_changed()  # the same policy: no new version


async def test_bad_file_changes_nothing(app: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("time_limits:\n  categories:\n    garbage: 3\n", "utf-8")
    assert gridbot(app, tmp_path, "policy", "import", str(good)).returncode == 0
    before = gridbot(app, tmp_path, "policy", "show").stdout
    bad = tmp_path / "bad.yaml"
    for text, error in [
        ("time_limits:\n  categories:\n    garbage: 2\n    street_vending: 0\n",
         "time_limits.categories.street_vending: must be a number of hours > 0"),
        ("time_limits:\n  units:\n    zf-nowhere: 5\n", "time_limits.units.zf-nowhere: unknown unit"),
        ("reminders:\n  share: [0.5]\n", "reminders.share: unknown field"),
        ("calendar:\n  mode: working_hours\n  opens: 8:30\n", "calendar.opens: must be a time of day"),
        ("escalation: {levels: [1, 3]}\n", "escalation.levels: must list grid levels"),
        ("time_limits: [\n", "invalid YAML"),
        ("", "the file is empty"),
    ]:
        bad.write_text(text, "utf-8")
        r = gridbot(app, tmp_path, "policy", "import", str(bad))
        assert r.returncode == 1, text
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gridbot: error: ") and error in lines[0], r.stderr
    assert gridbot(app, tmp_path, "policy", "show").stdout == before
    r = gridbot(app, tmp_path, "policy", "import", str(tmp_path / "missing.yaml"))
    assert r.returncode == 1 and "cannot read" in r.stderr
