"""One validation for members: `gridbot members` and the console's member editing refuse
the same input with the same message, naming the person; a bad file imports nothing."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

import texts
from dispatch.db.orm import MemberRow
from gridbot.cli import app as cli
from tests.admin.conftest import csrf_of, logged_in
from tests.admin.test_cases import flashes

WANG = 100001  # a demo resident the console edits and the file re-imports


async def _count(app: Any) -> int:
    async with app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(MemberRow)) or 0)


async def _cli_members(app: Any, tmp_path: Path, people: list[dict[str, Any]],
                       monkeypatch: pytest.MonkeyPatch) -> Any:
    """`gridbot members FILE` on the test's database (in a thread: it runs its own event loop)."""
    path = tmp_path / "people.yaml"
    path.write_text(yaml.safe_dump({"members": people}, allow_unicode=True), "utf-8")
    monkeypatch.setenv("GRIDBOT_DATABASE_URL", app.settings.effective_database_url)
    monkeypatch.setenv("GRIDBOT_DATA_DIR", str(tmp_path))
    return await asyncio.to_thread(CliRunner().invoke, cli, ["members", str(path)])


def _cli_error(result: Any, path_hint: str = "people.yaml: ") -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0].split(path_hint, 1)[1]


CASES = {
    "grid worker without grids": {"roles": ["resident", "grid_worker"]},
    "unit member without units": {"roles": ["unit_member"]},
    "unknown grid": {"roles": ["grid_worker"], "grids": ["G-99"]},
    "unknown unit": {"roles": ["unit_member"], "units": ["no-such-unit"]},
    "unknown role": {"roles": ["mayor"]},
    "grid leader without grids": {"roles": ["grid_leader"]},
}


@pytest.mark.parametrize("case", list(CASES))
async def test_cli_and_console_refuse_the_same_member_with_the_same_message(
        admin_app: Any, app: Any, users: Any, case: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with app.uow() as uow:
        wang = await uow.members.by_tg(WANG)
    assert wang is not None
    before = await _count(app)
    scope = CASES[case]
    newcomer = {"tg_id": 555000111, "name": "新来的", "roles": ["resident"]}
    person = {"id": wang.ref, "tg_id": WANG, "name": wang.name, **scope}
    result = await _cli_members(app, tmp_path, [newcomer, person], monkeypatch)
    cli_message = _cli_error(result)
    assert cli_message.startswith(f"成员 {wang.name}（{wang.ref}）："), cli_message
    assert await _count(app) == before  # the valid newcomer before it was not imported either

    c = await logged_in(admin_app, "admin")
    page = await c.get(f"/config/members/{wang.id}")
    r = await c.post(f"/config/members/{wang.id}", data={"csrf_token": csrf_of(page.text), **scope})
    assert r.status_code == 303
    kind, shown = flashes((await c.get(f"/config/members/{wang.id}")).text)[0]
    assert kind == "error"
    assert html.unescape(shown) == texts.ADMIN["err_prefix"] + cli_message
    async with app.uow() as uow:
        after = await uow.members.by_tg(WANG)
    assert after is not None and after.roles == wang.roles and after.grids == wang.grids
    await c.aclose()


async def test_a_huge_tg_id_is_one_line_naming_the_person(app: Any, users: Any, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = await _count(app)
    people = [{"tg_id": 555000222, "name": "先来的"},
              {"tg_id": 12345678901234567890123, "name": "李大个", "roles": ["resident"]}]
    message = _cli_error(await _cli_members(app, tmp_path, people, monkeypatch))
    assert message.startswith("成员 李大个（tg-12345678901234567890123）：tg_id 必须是"), message
    assert await _count(app) == before
