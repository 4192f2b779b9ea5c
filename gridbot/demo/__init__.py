"""The demo county 青禾县: grids, units, people, an example policy and a month of history."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DEMO_DIR = Path(__file__).resolve().parent
HISTORY = DEMO_DIR / "history.jsonl"  # written by tools/build_demo_history.py


def history_lines(now: datetime, tz: ZoneInfo) -> list[str]:
    """The demo month (`gridbot history import` lines), moved by whole weeks (weekdays stay)
    so that it ends before the local day of `now`."""
    events = [json.loads(line) for line in HISTORY.read_text("utf-8").splitlines() if line.strip()]
    last = max(datetime.fromisoformat(e["at"]) for e in events).astimezone(tz).date()
    today = now.astimezone(tz).date()
    shift = timedelta(days=7 * (((today - last).days - 1) // 7))
    for e in events:
        for key in ("at", "due"):
            if key in e:
                e[key] = (datetime.fromisoformat(e[key]) + shift).isoformat(timespec="minutes")
    return [json.dumps(e, ensure_ascii=False) for e in events]
