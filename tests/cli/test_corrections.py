"""A dispatcher's category change becomes a labelled example that `nlu train` reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from dispatch.service.cases import ReportDraft
from nlu.corpus import load_examples
from tests.conftest import tg_actor, tg_member


async def test_corrections_export_round_trip(app: Any, tmp_path: Path) -> None:
    case = await app.service.submit_report(ReportDraft(
        text="门口那个井盖响得厉害", reporter_id=await tg_member(app, 100001), category="noise", lat=25.838018, lon=115.021984))
    await app.service.recategorise(case.id, await tg_actor(app, 400001, "dispatcher"), "road_facility", "是井盖松动")
    out = tmp_path / "corrections.jsonl"
    env = dict(os.environ, GRIDBOT_DATABASE_URL=app.settings.effective_database_url,
               GRIDBOT_DATA_DIR=str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "gridbot.cli", "corrections", "--out", str(out)],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert lines == [{"text": "门口那个井盖响得厉害", "intent": "report", "category": "road_facility"}]
    (example,) = load_examples([out])
    assert example.category == "road_facility"
