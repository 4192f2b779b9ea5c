"""通报 in the leaders' group: when the policy's moment comes, the scheduler makes the last
month's report once and the relay sends the message (key figures, top and bottom, the change
against the month before) and the XLSX — with the figures of `gridbot report --json`."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import texts
from dispatch.db.orm import OutboxRow
from dispatch.service.assessment_table import fmt
from dispatch.service.config_log import AuditActor
from dispatch.service.history import import_history
from dispatch.service.policy_store import save_policy_doc
from dispatch.service.scheduler import Scheduler
from tests.bot.conftest import DISPATCHER
from tests.bot.helpers import watching
from tests.cli.test_dispatch_cli import run
from tests.dispatch.test_history_service import _months_of_cases

LEADERS = -1001000000099


async def _bulletin_rows(app: Any) -> int:
    async with app.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == "bulletin")
            )
            or 0
        )


def _report_json(db_url: str, data_dir: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    env.update(GRIDBOT_DATABASE_URL=db_url, GRIDBOT_DATA_DIR=data_dir)
    r = run(["report", "--month", "2026-11", "--json"], env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _scheduler(app: Any, clock: Any) -> Scheduler:
    return Scheduler(app.sessions, lambda: app.registry, clock, timezone=app.settings.timezone)


async def test_the_monthly_bulletin_reaches_the_leaders_group_once(
    app, people, sandbox, clock, db_url, tmp_path
):
    await import_history(app.uow(), app.registry, _months_of_cases({10, 11}), prefix="QH",
                         tz=app.settings.tz, now=clock.now())
    await people.create_group(id=LEADERS, title="青禾县领导群", members=[DISPATCHER])
    leaders = await watching(people.user(DISPATCHER, chat_id=LEADERS))
    await leaders.send_text("/chatid")  # how an admin learns the id to put in the policy
    assert str(LEADERS) in (await leaders.wait_for_message("群 ID"))["text"]
    doc = {"assessment": {"bulletin": {"chat_id": LEADERS, "every": "month", "day": 1, "time": "09:00"}}}
    await save_policy_doc(app.uow(), doc, AuditActor("cli", "test"), clock.now())
    await app.reload()

    # 23 November: the 1 November 通报 (of October) is due — caught up once; then 1 December.
    assert (await _scheduler(app, clock).tick()).bulletins == 1
    october = await leaders.wait_for_message("2026年10月 考核通报", timeout=15)
    clock.advance(days=7, hours=23, minutes=59)  # 30 November 08:59 in China: not yet
    assert (await _scheduler(app, clock).tick()).bulletins == 0
    clock.advance(minutes=1)  # 1 December 09:00
    scheduler = _scheduler(app, clock)
    assert (await scheduler.tick()).bulletins == 1
    message = await leaders.wait_for_message("2026年11月 考核通报", timeout=15)
    document = await leaders.wait_for_message(
        lambda m: (m.get("document") or {}).get("file_name") == "考核通报-2026-11.xlsx", timeout=15
    )
    assert october["message_id"] < message["message_id"] < document["message_id"]

    # The figures are those of `gridbot report --json` for the month.
    out = _report_json(db_url, str(tmp_path))
    total, text = out["total"], message["text"]
    assert "（与2026年10月相比）" in text
    assert f"受理 {total['reported']} 件" in text
    for key in ("on_time_rate", "handle_rate", "satisfaction_rate", "rework_rate"):
        assert texts.BULLETIN_FIGURES[key].format(value=fmt(key, total[key])) in text, key
    assert "解决率 —" in text  # nobody answered 问题解决了吗: null, not 0 %
    names = {u["id"]: u["name"] for u in out["units"]}
    top = "；".join(f"{i}. {names[u]}" for i, u in enumerate(out["ranking"]["units"]["top"], 1))
    assert all(part.split(". ")[1] in text for part in top.split("；"))
    bottom_line = next(line for line in text.splitlines() if line.startswith("⚠️ 单位后"))
    assert [names[u] for u in out["ranking"]["units"]["bottom"]] == ["交警城区中队"]
    assert "交警城区中队" in bottom_line
    # The change against October: 交警 was late in both months, so the rates hold.
    assert "按期处置率 75.0%（持平）" in text
    assert "📌 约谈提醒" not in text  # bottom two months running, the policy says three

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/sandbox/files/{document['document']['file_id']}") as resp:
            assert resp.status == 200
            book = load_workbook(io.BytesIO(await resp.read()), read_only=True)
    sheet = book[texts.ADMIN["assess_sheet_total"]]
    header, row = list(sheet.iter_rows(values_only=True))[:2]
    cells = dict(zip(header, row, strict=True))
    assert cells[texts.ASSESS_COLUMNS["reported"]] == total["reported"]
    assert cells[texts.ASSESS_COLUMNS["on_time_rate"]] == pytest.approx(total["on_time_rate"])
    units = list(book[texts.ADMIN["assess_sheet_units"]].iter_rows(values_only=True))[1:]
    assert sorted(r[0] for r in units) == sorted(names.values())

    # A second tick, and a restarted scheduler, make nothing more.
    assert (await scheduler.tick()).bulletins == 0
    clock.advance(hours=5)
    assert (await _scheduler(app, clock).tick()).bulletins == 0
    assert await _bulletin_rows(app) == 2
    sent = [m for m in await leaders.messages() if (m.get("text") or "").startswith("📊")]
    assert [m["text"].splitlines()[0] for m in sent] == ["📊 2026年10月 考核通报", "📊 2026年11月 考核通报"]
    assert len([m for m in await leaders.messages() if m.get("document")]) == 2
