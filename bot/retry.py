"""Retrying Bot API calls through Telegram's bad moments (429, 5xx, dropped connections).

Two policies, one classification of errors:

* a handler's calls (answers, prompts, edits, callback answers, photos): `RetryMiddleware`
  on the bot's session retries them within a bounded time (`RetryPolicy.budget_s`),
  honouring `retry_after`. It only acts inside a handler (`HandlerCalls`, an update
  middleware, marks that context): the relay has its own retry policy (bot/delivery/calls.py) and
  start-up its own (`until_ready`).
* start-up (getMe, deleteWebhook, setWebhook, setMyCommands): `until_ready` retries a
  transient failure for as long as it takes, with backoff, and gives up only on a permanent
  one (the token refused: 401/404) with `StartupError`.

A retried call whose connection dropped after Telegram processed it is sent twice: the Bot
API has no idempotency key."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger("bot.retry")
T = TypeVar("T")

TRANSIENT = (TelegramRetryAfter, TelegramServerError, TelegramNetworkError, TimeoutError)
PERMANENT_START = (TelegramUnauthorizedError, TelegramNotFound)  # the token is refused

# True while an update is being handled (set by HandlerCalls): the calls made then are retried.
IN_HANDLER: ContextVar[bool] = ContextVar("gridbot_in_handler", default=False)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT)


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts: Telegram's `retry_after` after a 429 (times
    `retry_after_scale`: 1 in production; tests against the sandbox shorten it, the sandbox
    does not enforce its injected 429s), else `backoff_s` doubling up to `max_backoff_s`."""

    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    retry_after_scale: float = 1.0

    def delay(self, exc: BaseException, attempt: int) -> float:
        """How long to wait before the next attempt after `exc` (the `attempt`-th failure)."""
        if isinstance(exc, TelegramRetryAfter):
            return exc.retry_after * self.retry_after_scale
        return float(min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)))


StartupPolicy = Backoff  # start-up waits as long as it takes


@dataclass(frozen=True)
class RetryPolicy(Backoff):
    """A handler's call: retried for at most `budget_s` (waits included)."""

    backoff_s: float = 0.25
    max_backoff_s: float = 2.0
    budget_s: float = 5.0


class StartupError(RuntimeError):
    """The bot cannot start and retrying would not help (the token is refused…)."""


OnGiveUp = Callable[[Any, TelegramMethod[Any], BaseException], Awaitable[None]]


class RetryMiddleware(BaseRequestMiddleware):
    """Retries a handler's call on 429 / 5xx / network errors within `policy.budget_s`.
    A call that still fails is handed to `on_give_up` (which may remember it, to ask again)
    and its error raised."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        on_give_up: OnGiveUp | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.on_give_up = on_give_up
        self._sleep = sleep
        self._clock = clock
        self.retried = 0  # calls that needed more than one attempt
        self.too_late = 0  # callback answers after the press had expired
        self.given_up = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Any,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not IN_HANDLER.get():
            return await make_request(bot, method)
        deadline = self._clock() + self.policy.budget_s
        attempt = 0
        maybe_done = False  # a connection dropped: the last attempt may have been carried out
        while True:
            try:
                return await make_request(bot, method)
            except TelegramBadRequest as exc:
                if maybe_done and already_done(method, exc):
                    return cast(Response[TelegramType], True)
                if too_late(method, exc):
                    # The update waited longer than Telegram keeps a press open (a backlog):
                    # the button has stopped spinning by itself; the handler's real work
                    # (the case, the reply) must not be lost over it.
                    self.too_late += 1
                    log.info("answerCallbackQuery came too late; going on without it")
                    return cast(Response[TelegramType], True)
                raise
            except TRANSIENT as exc:
                maybe_done = isinstance(exc, TelegramNetworkError)
                attempt += 1
                wait = self.policy.delay(exc, attempt)
                if self._clock() + wait > deadline:
                    self.given_up += 1
                    log.warning(
                        "%s failed %d times (%s: %s); giving up",
                        method.__api_method__, attempt, type(exc).__name__, exc,
                    )
                    if self.on_give_up is not None:
                        await self.on_give_up(bot, method, exc)
                    raise
                if attempt == 1:
                    self.retried += 1
                log.info("%s: %s; again in %.2f s", method.__api_method__, type(exc).__name__, wait)
                await self._sleep(wait)


def already_done(method: TelegramMethod[Any], exc: TelegramBadRequest) -> bool:
    """After a dropped connection, the error a repeated edit or callback answer gets when the
    first attempt did reach Telegram: it was done (an edit's result is then just True)."""
    name = method.__api_method__
    if name.startswith("editMessage"):
        return "message is not modified" in exc.message
    return too_late(method, exc)


def too_late(method: TelegramMethod[Any], exc: TelegramBadRequest) -> bool:
    """A callback answered after Telegram stopped waiting for it (about 15 s after the press)."""
    return method.__api_method__ == "answerCallbackQuery" and "query is too old" in exc.message


class HandlerCalls(BaseMiddleware):
    """Update middleware: the Bot API calls made while an update is handled are retried.
    Keeps the highest update id handed to the dispatcher (to confirm it at stop)."""

    def __init__(self) -> None:
        self.last_update_id: int | None = None

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        uid = getattr(event, "update_id", None)
        if isinstance(uid, int) and (self.last_update_id is None or uid > self.last_update_id):
            self.last_update_id = uid
        token = IN_HANDLER.set(True)
        try:
            return await handler(event, data)
        finally:
            IN_HANDLER.reset(token)


async def until_ready(
    call: Callable[[], Awaitable[T]],
    what: str,
    policy: StartupPolicy | None = None,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """`call()` until it succeeds: transient failures are waited out (logged), a refused
    token raises `StartupError`, any other Bot API error too (with what was being done)."""
    policy = policy or StartupPolicy()
    attempt = 0
    while True:
        try:
            return await call()
        except TRANSIENT as exc:
            attempt += 1
            wait = policy.delay(exc, attempt)
            log.warning("%s failed (%s: %s); again in %.1f s", what, type(exc).__name__, exc, wait)
            await sleep(wait)
        except PERMANENT_START as exc:
            raise StartupError(
                f"the Bot API refused the bot token ({what}: {exc.message}); check TELEGRAM_BOT_TOKEN"
            ) from exc
        except TelegramAPIError as exc:
            raise StartupError(f"{what} failed: {exc.message}") from exc
