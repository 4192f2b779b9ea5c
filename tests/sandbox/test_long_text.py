"""Texts over 4096 characters: split by the people's side, refused on the bot's side."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest

from tgsandbox.client import SandboxAPIError
from tgsandbox.entities import utf16_len
from tgsandbox.splitting import split_text

from .conftest import RESIDENT


def test_a_text_that_fits_is_one_message():
    assert split_text("网" * 4096) == ["网" * 4096]


def test_cut_at_the_last_line_break_near_the_limit():
    lines = [f"第{i}行：" + "情况说明" * 20 for i in range(80)]  # ~85 characters a line
    text = "\n".join(lines)
    parts = split_text(text)
    assert len(parts) == 2 and all(utf16_len(p) <= 4096 for p in parts)
    assert utf16_len(parts[0]) > 4096 - 90  # near the limit, not at the first break
    assert "\n".join(parts) == text  # only the break at the cut is gone


def test_a_blank_line_wins_over_a_line_break_and_a_space_over_a_hard_cut():
    text = "甲" * 3500 + "\n\n" + "乙" * 400 + "\n" + "丙" * 1000
    assert split_text(text)[0] == "甲" * 3500
    words = ("word " * 1000).strip()
    parts = split_text(words)
    assert parts[0].endswith("word") and " ".join(parts) == words


def test_chinese_sentences_and_hard_cuts_keep_every_character():
    text = "请尽快处理。" * 1000
    parts = split_text(text)
    assert parts[0].endswith("。") and "".join(parts) == text
    solid = "网" * 9000
    assert [len(p) for p in split_text(solid)] == [4096, 4096, 808]


def test_never_inside_a_surrogate_pair():
    text = "😀" * 3000  # two UTF-16 units each
    parts = split_text(text)
    assert [utf16_len(p) for p in parts] == [4096, 1904] and "".join(parts) == text


async def test_the_people_side_splits_on_request_and_refuses_otherwise(bot, client):
    resident = client.user(RESIDENT)
    text = ("巡查发现路灯损坏。" * 300 + "\n") * 2  # 5402 characters
    with pytest.raises(SandboxAPIError) as info:
        await resident.send_text(text)
    assert info.value.status == 400 and "4096" in info.value.error
    assert await resident.messages() == []
    sent = await resident.send_long_text(text)
    assert len(sent) == 2 and [m["message_id"] for m in sent] == [1, 2]
    assert sent[0]["text"].endswith("。") and utf16_len(sent[0]["text"]) > 4000
    assert "".join(m["text"] for m in sent) == text.strip()  # cut between two sentences
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == [m["text"] for m in sent]


async def test_the_bot_side_refuses_over_4096_with_telegrams_error(bot):
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message(RESIDENT, "网" * 4097)
    assert info.value.message == "Bad Request: message is too long"
