"""Decorator-style handler registration that builds a FRESH aiogram Router on demand.

An aiogram Router can be attached to one Dispatcher only; tests and the benchmark build
several. So a feature module declares `routes = Routes(__name__)`, decorates handlers with
`@routes.message(...)` / `@routes.callback_query(...)` as it would a Router, and
`routes.build()` returns a new `Router(name=__name__)` with everything registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.state import State, StatesGroup
from magic_filter import MagicFilter

OBSERVERS = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")


class InLoop(Filter):
    """A synchronous filter evaluated in the event loop.

    aiogram 3.31 runs every non-async filter — each `F.…` magic filter included — through
    `asyncio.to_thread`; for cheap attribute checks that thread hop costs far more than the
    check (about a hundred hops per report under load)."""

    def __init__(self, check: MagicFilter) -> None:
        self.check = check
        self.resolve = check.resolve

    async def __call__(self, event: Any) -> Any:
        return self.resolve(event)

    def __str__(self) -> str:
        return f"InLoop({self.check!r})"


def in_loop(f: Any) -> Any:
    """Magic filters run in the loop; a bare `State` becomes the (async) `StateFilter`;
    aiogram `Filter`s and coroutine functions pass through."""
    if isinstance(f, MagicFilter):
        return InLoop(f)
    if isinstance(f, State) or (isinstance(f, type) and issubclass(f, StatesGroup)):
        return StateFilter(f)
    return f


class _Observer:
    def __init__(self, routes: Routes, name: str) -> None:
        self._routes = routes
        self._name = name

    def __call__(self, *filters: Any, **kwargs: Any) -> Callable[[Any], Any]:
        def register(handler: Any) -> Any:
            self._routes._handlers.append((self._name, handler, filters, kwargs))
            return handler

        return register

    def filter(self, *filters: Any) -> None:
        """Router-level filters for this kind of event."""
        self._routes._filters.append((self._name, filters))


class Routes:
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[tuple[str, Any, tuple[Any, ...], dict[str, Any]]] = []
        self._filters: list[tuple[str, tuple[Any, ...]]] = []
        self.message = _Observer(self, "message")
        self.edited_message = _Observer(self, "edited_message")
        self.callback_query = _Observer(self, "callback_query")
        self.my_chat_member = _Observer(self, "my_chat_member")

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, filters in self._filters:
            getattr(router, observer).filter(*map(in_loop, filters))
        for observer, handler, filters, kwargs in self._handlers:
            getattr(router, observer).register(handler, *map(in_loop, filters), **kwargs)
        return router
