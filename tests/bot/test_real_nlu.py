"""The same bot with the packaged NLU model (not the scripted one): real predictions —
categories, the emergency flag, non-report intents — drive the conversation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.conftest import RESIDENT
from tests.bot.helpers import case_row, report


@pytest.fixture
def nlu(app: Any) -> Any:
    from bot.nlu import load_classifier

    try:
        return load_classifier(app.registry, app.settings.data_dir)
    except Exception as exc:  # no trained model in this checkout
        pytest.skip(f"no NLU model: {exc}")


async def test_real_model_end_to_end(app, people, runtime):
    resident = people.user(RESIDENT)
    await resident.send_text("你好")
    await resident.wait_for_message("请直接描述")
    number = await report(resident, "人民广场那边有人乱停车把人行道堵了", place_button="就在人民广场")
    row = await case_row(app, number)
    assert (row.category, row.unit_id) == ("illegal_parking", "jj-chengqu")
    assert row.nlu_confidence is not None and row.nlu_confidence > 0.6
    await resident.send_text("五丰新村3栋楼道里着火了，好大的烟")
    await resident.wait_for_message("119")
