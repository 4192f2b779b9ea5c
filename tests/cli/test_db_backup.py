"""`gridbot db backup` / `gridbot db restore` on SQLite and PostgreSQL, against a database a
running process (the `app` fixture) keeps open: the copy holds what was committed, a restore
brings it back into an empty database, and a database with tables is only overwritten with
--force. A file that is not a backup is refused and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dispatch.db.orm import CaseRow
from dispatch.service.cases import ReportDraft
from tests.conftest import create_pg_database, drop_pg_database, pg_base_url, tg_member

MARKET = (25.838018, 115.021984)


def gridbot(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    env.update(GRIDBOT_DATABASE_URL=url, GRIDBOT_DATA_DIR=str(tmp_path))
    code = ("import sys; from gridbot.cli import main; sys.argv = ['gridbot', *sys.argv[1:]]\n"
            "try:\n    main()\nfinally:\n"
            "    assert 'aiogram' not in sys.modules, 'db commands must not import aiogram'")
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=120)


async def case_numbers(url: str) -> list[str]:
    from dispatch.db.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(CaseRow.number).order_by(CaseRow.number))).scalars())
    finally:
        await engine.dispose()


async def submit(app: Any, text: str) -> str:
    case = await app.service.submit_report(ReportDraft(
        text=text, reporter_id=await tg_member(app, 100001), category="street_vending",
        lat=MARKET[0], lon=MARKET[1]))
    return str(case.number)


async def target_url(app: Any, tmp_path: Path) -> str:
    if app.settings.effective_database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'gridbot.sqlite3'}"
    base = pg_base_url()
    assert base
    return await create_pg_database(base)


async def test_backup_then_restore_into_an_empty_database(app: Any, tmp_path: Path) -> None:
    url = app.settings.effective_database_url
    first = await submit(app, "解放路菜市场门口有人摆摊")
    dump = tmp_path / "gridbot.backup"
    r = gridbot(url, tmp_path, "db", "backup", str(dump))
    assert r.returncode == 0, r.stderr
    assert "backed up" in r.stdout and dump.stat().st_size > 0
    later = await submit(app, "菜市场门口又有人摆摊")  # after the backup: not in it

    target = await target_url(app, tmp_path)
    try:
        r = gridbot(target, tmp_path, "db", "restore", str(dump))
        assert r.returncode == 0, r.stderr
        restored = await case_numbers(target)
        assert first in restored and later not in restored
        assert restored == [n for n in await case_numbers(url) if n != later]

        # The restored database now holds tables: a second restore needs --force.
        await submit(app, "第三次摆摊")
        r = gridbot(target, tmp_path, "db", "restore", str(dump))
        assert r.returncode == 1 and "not empty" in r.stderr and "--force" in r.stderr
        r = gridbot(target, tmp_path, "db", "restore", "--force", str(dump))
        assert r.returncode == 0, r.stderr
        assert await case_numbers(target) == restored
        # and the migrations see the schema they made
        r = gridbot(target, tmp_path, "db", "upgrade")
        assert r.returncode == 0, r.stderr
    finally:
        if not target.startswith("sqlite"):
            await drop_pg_database(target)


async def test_restore_refuses_a_file_that_is_not_a_backup(app: Any, tmp_path: Path) -> None:
    url = app.settings.effective_database_url
    before = await case_numbers(url)
    bad = tmp_path / "notes.txt"
    bad.write_text("这不是备份", "utf-8")
    for args in (["restore", "--force", str(bad)], ["restore", "--force", str(tmp_path / "missing")]):
        r = gridbot(url, tmp_path, "db", *args)
        assert r.returncode == 1 and r.stderr.startswith("gridbot: error: "), r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    assert await case_numbers(url) == before
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CaseRow)) == len(before)
