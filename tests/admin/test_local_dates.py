"""Every date a person sees or a file is named by is the county's (Settings.tz), not UTC's:
at 16:30 UTC it is already 00:30 of the next day in China."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dispatch.service.cases import ReportDraft
from tests.admin.conftest import MARKET, logged_in
from tests.conftest import tg_member

JUST_AFTER_MIDNIGHT = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 2026-11-24 00:30 in China


async def test_export_names_and_case_numbers_use_the_countys_date(admin_app: Any, app: Any, users: Any,
                                                                   clock: Any) -> None:
    clock.set(JUST_AFTER_MIDNIGHT)
    case = await app.service.submit_report(ReportDraft(
        text="解放路菜市场门口有人摆摊", reporter_id=await tg_member(app, 100001), category="street_vending",
        lat=MARKET[0], lon=MARKET[1]))
    assert "20261124" in case.number
    c = await logged_in(admin_app, "viewer")
    for ext in ("csv", "xlsx"):
        r = await c.get(f"/cases/export.{ext}")
        assert r.status_code == 200
        assert f'filename="cases-20261124-0030.{ext}"' in r.headers["content-disposition"]
    page = await c.get(f"/cases/{case.id}")
    assert "2026-11-24 00:30" in page.text and "2026-11-23" not in page.text
    await c.aclose()
