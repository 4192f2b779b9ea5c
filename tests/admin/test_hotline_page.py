"""The console lists 12345 orders with their status and the month's 非现场检查, without the
caller's details."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.service.hotline import HotlineImporter
from dispatch.service.hotline_file import HotlineOrder
from tests.admin.conftest import logged_in

TZ = ZoneInfo("Asia/Shanghai")


async def test_hotline_orders_are_listed(admin_app: Any, app: Any, users: Any) -> None:
    from nlu.api import load_model

    model = load_model()
    model.add_places(app.registry.gazetteer.all_names())
    importer = HotlineImporter(app.service, app.uow, model)
    at = datetime(2026, 11, 23, 8, 30, tzinfo=TZ)
    made = await importer.import_order(1, HotlineOrder(
        "HL-PAGE-1", at, "来电人反映：五丰菜市场门口有人占道摆摊，要求相关部门尽快处理。", "五丰菜市场", "投诉",
        "张先生", "13800001111"))
    await importer.import_order(2, HotlineOrder("HL-PAGE-2", at, "咨询居住证办理", None, "咨询", "王", "139"))
    c = await logged_in(admin_app, "viewer")
    page = await c.get("/hotline")
    assert page.status_code == 200
    assert 'id="hotline-orders"' in page.text and "HL-PAGE-1" in page.text and "HL-PAGE-2" in page.text
    assert 'href="/cases/' in page.text and made.case_number in page.text
    assert "已派遣" in page.text and "已记录" in page.text and "城西执法中队" in page.text
    assert "未主动发现" in page.text and 'id="offsite-check"' in page.text and "五丰社区第1网格" in page.text
    assert "13800001111" not in page.text and "张先生" not in page.text
