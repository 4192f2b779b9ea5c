"""Case numbers under concurrency: distinct, in the format, and not serialising submissions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dispatch.service.cases import ReportDraft
from tests.conftest import tg_member

MARKET = (25.838018, 115.021984)  # 解放路菜市场
TEXTS = ["摆摊卖菜", "垃圾桶满了", "井盖坏了", "乱停车", "广场舞太吵", "下水道堵了", "小广告", "占道经营"]


async def test_concurrent_submits_get_distinct_numbers(app: Any) -> None:
    members = [await tg_member(app, 300_000 + i) for i in range(40)]  # more than the pool's 20
    drafts = [
        ReportDraft(
            text=f"{TEXTS[i % len(TEXTS)]} 第{i}处", reporter_id=m, category="garbage",
            lat=MARKET[0] + i * 0.01, lon=MARKET[1], on_spot=False,
        )
        for i, m in enumerate(members)
    ]
    cases = await asyncio.gather(*(app.service.submit_report(d) for d in drafts))
    numbers = sorted(c.number for c in cases)
    assert numbers == [f"QH-20261123-{n:04d}" for n in range(1, 41)]


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_two_open_transactions_both_hold_a_number(app: Any) -> None:
    """Neither transaction has committed when the second takes its number: the counter row
    is not held until commit (a number taken by a transaction that rolls back is a gap)."""
    async with app.uow() as first, app.uow() as second:
        a = await first.cases.next_number_seq("QH", "20261123")
        b = await asyncio.wait_for(second.cases.next_number_seq("QH", "20261123"), timeout=5)
        c = await asyncio.wait_for(first.cases.next_number_seq("QH", "20261123"), timeout=5)
        await second.rollback()
        await first.commit()
    assert (a, b, c) == (1, 2, 3)
    async with app.uow() as uow:
        assert await uow.cases.next_number_seq("QH", "20261123") == 4  # 2 stays a gap


async def test_concurrent_duplicates_of_one_case_all_link(app: Any) -> None:
    """Submissions no longer queue behind the case counter, so several reports of the same
    problem reach the original at once: each links to it, none fails on its version."""
    first = await app.service.submit_report(ReportDraft(
        text="解放路菜市场门口天天有人摆摊卖菜", reporter_id=await tg_member(app, 310_000),
        category="street_vending", lat=MARKET[0], lon=MARKET[1]))
    members = [await tg_member(app, 310_001 + i) for i in range(8)]
    dups = await asyncio.gather(*(app.service.submit_report(ReportDraft(
        text="解放路菜市场门口天天有人摆摊卖菜", reporter_id=m, category="street_vending",
        lat=MARKET[0], lon=MARKET[1])) for m in members))
    assert all(d.duplicate_of == first.id for d in dups)
    async with app.uow() as uow:
        assert await uow.cases.duplicate_count(first.id) == 8
