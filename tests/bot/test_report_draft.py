"""The report in progress is a typed model in the conversation state."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from bot.report_draft import Draft


def _state() -> FSMContext:
    return FSMContext(MemoryStorage(), StorageKey(bot_id=1, chat_id=7, user_id=7))


async def test_a_draft_round_trips_and_keeps_what_others_store_beside_it() -> None:
    state = _state()
    await state.set_data({"_pending": {"text": "请发送位置"}})  # the re-ask middleware's key
    draft = await Draft.load(state)
    draft.new_nonce()
    draft.text, draft.category, draft.lat, draft.lon = "路灯不亮", "street_light", 25.8, 115.0
    draft.heard(11).heard(None).heard(12)
    draft.photos.append("file-1")
    await draft.save(state)
    again = await Draft.load(state)
    assert again == draft and again.nonce > 0 and again.transcript_ids == [11, 12]
    assert (await state.get_data())["_pending"] == {"text": "请发送位置"}
    assert again.located


async def test_a_draft_stored_by_an_older_version_still_reads() -> None:
    """Conversations in Redis survive an upgrade: the old abbreviated keys are read."""
    state = _state()
    await state.set_data({"d": 5, "text": "有人摆摊", "cat": "street_vending", "pred": "garbage",
                          "conf": 0.4, "emg": True, "rank": ["street_vending"], "addr": "五丰菜市场",
                          "grid": "G-01", "photos": ["p"], "msgs": [1, 2], "first": 1, "card": 99})
    d = await Draft.load(state)
    assert (d.nonce, d.category, d.predicted, d.emergency, d.address, d.grid_id) == (
        5, "street_vending", "garbage", True, "五丰菜市场", "G-01")
    assert (d.transcript_ids, d.first_transcript_id, d.card_id, d.confidence) == ([1, 2], 1, 99, 0.4)


async def test_an_empty_state_is_an_empty_draft() -> None:
    d = await Draft.load(_state())
    assert d.nonce == 0 and d.photos == [] and not d.located and d.category == "other"
