"""Telegram's bad moments one at a time: a handler's call retried (retry_after honoured) within
its budget, start-up waiting out failures (a refused token stops it with a clear error), an
undelivered question asked again, unreadable updates skipped by polling."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from bot.retry import IN_HANDLER, Backoff, RetryMiddleware, RetryPolicy, StartupError, until_ready
from tests.bot.conftest import RESIDENT
from tests.bot.fakes import FakeTime
from tests.bot.helpers import FAST_RETRY, case_row, faulty_runtime, number_in

SEND = SendMessage(chat_id=1, text="hi")




def failing(*errors: Exception, result: Any = "sent") -> Any:
    """make_request that raises `errors` in turn, then returns `result`."""
    calls: list[Any] = []

    async def make_request(bot: Any, method: Any) -> Any:
        calls.append(method)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    make_request.calls = calls  # type: ignore[attr-defined]
    return make_request


async def in_handler(mw: RetryMiddleware, make_request: Any, method: Any = SEND) -> Any:
    token = IN_HANDLER.set(True)
    try:
        return await mw(make_request, None, method)
    finally:
        IN_HANDLER.reset(token)


async def test_a_handler_call_waits_retry_after_and_backs_off() -> None:
    t = FakeTime()
    mw = RetryMiddleware(RetryPolicy(budget_s=10, backoff_s=0.25), sleep=t.sleep, clock=t)
    make = failing(
        TelegramRetryAfter(SEND, "flood", retry_after=3),
        TelegramServerError(SEND, "Internal Server Error"),
        TelegramNetworkError(SEND, "Server disconnected"),
    )
    assert await in_handler(mw, make) == "sent"
    assert t.slept == [3.0, 0.5, 1.0] and len(make.calls) == 4  # doubling with each failure
    assert mw.retried == 1 and mw.given_up == 0


async def test_a_handler_call_gives_up_after_its_budget_and_says_so() -> None:
    t = FakeTime()
    given_up: list[Any] = []

    async def remember(bot: Any, method: Any, exc: BaseException) -> None:
        given_up.append((method, type(exc).__name__))

    mw = RetryMiddleware(RetryPolicy(budget_s=4), on_give_up=remember, sleep=t.sleep, clock=t)
    make = failing(*[TelegramRetryAfter(SEND, "flood", retry_after=3)] * 5)
    with pytest.raises(TelegramRetryAfter):
        await in_handler(mw, make)
    assert t.slept == [3.0]  # a second 3 s wait would pass the 4 s budget
    assert given_up == [(SEND, "TelegramRetryAfter")] and mw.given_up == 1
    with pytest.raises(TelegramBadRequest):  # not transient: not retried
        await in_handler(mw, failing(TelegramBadRequest(SEND, "chat not found")))


async def test_calls_outside_handlers_are_left_to_their_own_policy() -> None:
    """The relay (and start-up) retry in their own way: the middleware does not."""
    t = FakeTime()
    mw = RetryMiddleware(RetryPolicy(), sleep=t.sleep, clock=t)
    make = failing(TelegramServerError(SEND, "Internal Server Error"))
    with pytest.raises(TelegramServerError):
        await mw(make, None, SEND)
    assert len(make.calls) == 1 and t.slept == []


async def test_a_repeated_edit_or_answer_after_a_lost_answer_counts_as_done() -> None:
    t = FakeTime()
    mw = RetryMiddleware(RetryPolicy(), sleep=t.sleep, clock=t)
    edit = EditMessageText(chat_id=1, message_id=2, text="x")
    make = failing(TelegramNetworkError(edit, "Server disconnected"),
                   TelegramBadRequest(edit, "message is not modified: specified new message content"))
    assert await in_handler(mw, make, edit) is True
    answer = AnswerCallbackQuery(callback_query_id="q")
    make = failing(TelegramNetworkError(answer, "Server disconnected"),
                   TelegramBadRequest(answer, "query is too old and response timeout expired"))
    assert await in_handler(mw, make, answer) is True
    with pytest.raises(TelegramBadRequest):  # without a dropped connection before: a real error
        await in_handler(mw, failing(TelegramBadRequest(edit, "message is not modified")), edit)


async def test_a_callback_answered_too_late_does_not_stop_the_handler() -> None:
    """Under a backlog a press is handled after Telegram stopped waiting for its answer: the
    answer is skipped (counted), the handler goes on; other bad requests still raise."""
    t = FakeTime()
    mw = RetryMiddleware(RetryPolicy(), sleep=t.sleep, clock=t)
    answer = AnswerCallbackQuery(callback_query_id="q")
    make = failing(TelegramBadRequest(answer, "query is too old and response timeout expired or query ID is invalid"))
    assert await in_handler(mw, make, answer) is True
    assert mw.too_late == 1 and len(make.calls) == 1 and t.slept == []
    with pytest.raises(TelegramBadRequest):
        await in_handler(mw, failing(TelegramBadRequest(answer, "MESSAGE_TOO_LONG")), answer)


async def test_until_ready_waits_as_long_as_it_takes() -> None:
    t = FakeTime()
    make = failing(*[TelegramServerError(SEND, "Bad Gateway")] * 6,
                   TelegramRetryAfter(SEND, "flood", retry_after=7))
    result = await until_ready(lambda: make(None, SEND), "getMe", Backoff(backoff_s=1, max_backoff_s=8),
                               sleep=t.sleep)
    assert result == "sent" and t.slept == [1, 2, 4, 8, 8, 8, 7]


async def test_start_up_waits_out_failures_of_every_start_call(app, sandbox, nlu) -> None:
    sandbox.set_faults(rate_429=0.5, rate_500=0.5, retry_after=1,
                       methods=frozenset({"getMe", "setMyCommands", "deleteWebhook"}))
    runtime = faulty_runtime(app, sandbox, nlu)
    failed: dict[str, int] = {}

    async def recover() -> None:
        await asyncio.sleep(0.5)
        failed.update({m: c["429"] + c["500"] for m, c in sandbox.api.faults.by_method.items()})
        sandbox.set_faults(rate_429=0, rate_500=0)

    healing = asyncio.create_task(recover())
    try:
        await runtime.start(polling_timeout=1)
        assert healing.done()  # it waited until the Bot API worked again
        assert failed["getMe"] >= 3, failed
        client = sandbox.client()
        try:
            resident = client.user(RESIDENT)
            await resident.send_text("/start")
            await resident.wait_for_message("随手拍")
        finally:
            await client.close()
    finally:
        await healing
        await runtime.stop()


async def test_a_refused_token_stops_start_up_with_a_clear_error(app, sandbox, nlu) -> None:
    from bot.runtime import build_runtime

    runtime = build_runtime(app, nlu, token="123456789:WRONG", api_base=sandbox.url, channel="sandbox")
    try:
        with pytest.raises(StartupError, match="refused the bot token.*TELEGRAM_BOT_TOKEN"):
            await asyncio.wait_for(runtime.start(polling_timeout=1), 5)
    finally:
        await runtime.stop()


async def test_an_undelivered_question_is_asked_again_and_nothing_is_lost(app, sandbox, nlu) -> None:
    """The location prompt fails for longer than the retry budget: the person's next message
    gets it again (and is not taken for an address); the report goes on from there."""
    from dataclasses import replace

    runtime = faulty_runtime(app, sandbox, nlu, retry=replace(FAST_RETRY, budget_s=0.3))
    await runtime.start(polling_timeout=1)
    client = sandbox.client()
    try:
        resident = client.user(RESIDENT)
        sandbox.set_faults(rate_500=1.0, methods=frozenset({"sendMessage"}))
        await resident.send_text("门口有人摆摊，堵得走不了")
        for _ in range(50):
            if runtime.retry.given_up:
                break
            await asyncio.sleep(0.05)
        assert runtime.retry.given_up == 1
        sandbox.set_faults(rate_500=0)
        await asyncio.sleep(0.2)
        assert not [m for m in await resident.messages() if m.get("from", {}).get("is_bot")]

        await resident.send_text("喂？")  # not an address: the question again
        asked = await resident.wait_for_message("问题在哪里")
        said = [m for m in await resident.messages() if m.get("from", {}).get("is_bot")]
        assert [m["message_id"] for m in said] == [asked["message_id"]]  # once, nothing else
        await resident.press("跳过")
        await resident.wait_for_message("现场照片")
        await resident.press("跳过")
        await resident.wait_for_message("请核对")
        await resident.press("✅ 提交")
        number = number_in((await resident.wait_for_message("已受理"))["text"])
        row = await case_row(app, number)
        assert row.description == "门口有人摆摊，堵得走不了"
    finally:
        sandbox.set_faults(rate_500=0)
        await client.close()
        await runtime.stop()


@pytest.mark.parametrize(
    "broken",
    [
        {"message_id": 1, "date": 1, "text": "没有 chat"},
        {"message_id": 1, "date": "yesterday", "chat": {"id": RESIDENT, "type": "private"}, "text": "x"},
        {"message_id": 1, "date": 1, "chat": {"id": "abc", "type": "private"}, "text": "x"},
    ],
    ids=["no-chat", "date-not-a-number", "chat-id-not-a-number"],
)
async def test_polling_skips_an_unreadable_update_and_goes_on(app, sandbox, nlu, broken) -> None:
    runtime = faulty_runtime(app, sandbox, nlu)
    await runtime.start(polling_timeout=1)
    client = sandbox.client()
    try:
        sandbox.world.updates.push("message", broken)
        sandbox.world.updates.push("message", {  # no `from`, an unknown field: readable
            "message_id": 2, "date": 1, "chat": {"id": RESIDENT, "type": "private"}, "text": "/help",
            "some_future_field": {"x": 1},
        })
        resident = client.user(RESIDENT)
        await resident.send_text("/start")
        await resident.wait_for_message("随手拍", timeout=5)
        assert not sandbox.world.updates.pending or min(sandbox.world.updates.pending) > 2
    finally:
        await client.close()
        await runtime.stop()
