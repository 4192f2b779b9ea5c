"""`gridbot bench bot --bare`: the ceiling of the channel on this machine.

A bare aiogram bot — no database, no NLU, no routing, no transcript, no relay — answers the
same simulated residents with the same updates and the same Bot API calls per report as the
bot's own replies (a location question, the photo question, the summary with a submit
button; on the press: answer the callback, edit the summary, send the case number), through
the same sandbox and the same client session. Run right after the real bot in one
`gridbot bench bot` invocation, so the ratio of the two is measured under the same load."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

BUTTON = "✅ 提交"


def bare_dispatcher() -> Any:
    from aiogram import Dispatcher, F, Router
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    router = Router()
    numbers = itertools.count(1)
    button = InlineKeyboardButton(text=BUTTON, callback_data="submit")
    submit = InlineKeyboardMarkup(inline_keyboard=[[button]])

    @router.message(F.location)
    async def place(message: Message) -> None:
        await message.answer("已定位。有现场照片吗？请发送照片，或回复“跳过”。")

    @router.message(F.text == "跳过")
    async def skip(message: Message) -> None:
        await message.answer("请核对：问题、地点、照片。无误请提交。", reply_markup=submit)

    @router.message(F.text)
    async def describe(message: Message) -> None:
        await message.answer("问题在哪里？请发送位置。")

    @router.callback_query(F.data == "submit")
    async def press(query: CallbackQuery) -> None:
        await query.answer()
        if query.message is not None:
            await query.bot.edit_message_text(  # type: ignore[union-attr]
                "已提交。", chat_id=query.message.chat.id, message_id=query.message.message_id
            )
            await query.bot.send_message(  # type: ignore[union-attr]
                query.message.chat.id, f"已受理，编号 QH-20260101-{next(numbers):04d}。"
            )

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def bench_bare(driver: Any, opts: Any, cpu: Any, echo: Any) -> dict[str, Any]:
    """The same driver run against the bare bot; the figures as `_summary` gives them."""
    from bot.runtime import make_bot
    from gridbot.bench.bot import _summary

    api, token = await driver.start()
    bot = make_bot(token, api)
    dp = bare_dispatcher()
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                   polling_timeout=10))
    try:
        echo("bench: the bare aiogram bot, same residents and window")
        finished: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        meter = asyncio.create_task(cpu.measure(opts.warmup if opts.duration > 0 else 0.0, opts.duration,
                                                finished))
        await driver.say("GO")
        raw = await driver.result()
        finished.set_result(None)
        await meter
    finally:
        await dp.stop_polling()
        await polling
        await bot.session.close()
    empty = {"group_cards": 0, "private": 0, "pending_after": 0}
    return _summary(opts, "none", "none:", raw, cpu.end - cpu.start, empty, 0, 0, None, None)
