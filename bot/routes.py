"""Decorator-style handler registration that builds a FRESH aiogram Router on demand.

An aiogram Router can be attached to one Dispatcher only; tests and the benchmark build
several. So a feature module declares `routes = Routes(__name__)`, decorates handlers with
`@routes.message(...)` / `@routes.callback_query(...)` as it would a Router, and
`routes.build()` returns a new `Router(name=__name__)` with everything registered.

Filters are cheap to check but not cheap for aiogram to call: each one is awaited through
a wrapper that picks its keyword arguments (a few microseconds, and an update passes some
thirty of them on its way through the routers). So `build()` hands aiogram one filter per
handler (`AllOf`: the handler's filters in their order, called directly), states are
compared as strings (`InState`), and router-level checks (`routes.message.skip_unless(...)`,
and the states its handlers wait in, which `build()` adds itself) let a router whose
handlers cannot match skip them all at once; `group()` does the same for several routers."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Filter, StateFilter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from magic_filter import MagicFilter

OBSERVERS = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")


class InLoop(Filter):
    """A synchronous filter evaluated in the event loop: a magic filter, or a plain
    function of the event.

    aiogram 3.31 runs every non-async filter — each `F.…` magic filter included — through
    `asyncio.to_thread`; for cheap attribute checks that thread hop costs far more than the
    check (about a hundred hops per report under load)."""

    def __init__(self, check: MagicFilter | Callable[[Any], Any]) -> None:
        self.check = check
        self.resolve = check.resolve if isinstance(check, MagicFilter) else check

    async def __call__(self, event: Any) -> Any:
        return self.resolve(event)

    def __str__(self) -> str:
        name = getattr(self.check, "__name__", None)
        return f"InLoop({name or repr(self.check)})"


def pressed(*kinds: type[CallbackData]) -> InLoop:
    """A press whose data could unpack as one of these (its prefix is theirs)."""
    prefixes = {kind.__separator__: set[str]() for kind in kinds}
    for kind in kinds:
        prefixes[kind.__separator__].add(kind.__prefix__)

    def check(cb: Any) -> bool:
        data = cb.data
        return data is not None and any(data.split(sep, 1)[0] in names for sep, names in prefixes.items())

    check.__name__ = "pressed(" + ", ".join(kind.__name__ for kind in kinds) + ")"
    return InLoop(check)


def _buttons_pressed(handlers: list[tuple[Any, ...]]) -> list[type[CallbackData]] | None:
    """The CallbackData classes the press handlers filter on, when every one of them filters
    on one (`SomeCb.filter()`); None when some handler takes presses of any kind."""
    kinds: list[type[CallbackData]] = []
    for filters in handlers:
        found = [f.callback_data for f in filters if isinstance(f, CallbackQueryFilter)]
        if not found:
            return None
        kinds += [k for k in found if k not in kinds]
    return kinds


class InState(Filter):
    """`StateFilter` for plain states (and None: no state), as one set lookup."""

    def __init__(self, *states: State | str | None) -> None:
        self.states = states
        self.names = frozenset(s.state if isinstance(s, State) else s for s in states)

    async def __call__(self, event: Any, raw_state: str | None = None) -> bool:
        return raw_state in self.names

    def __str__(self) -> str:
        return f"InState({', '.join(sorted(map(str, self.names)))})"


def _plain_states(f: Any) -> tuple[Any, ...] | None:
    """The states of a StateFilter / State when they are plain ones (no "*", no groups)."""
    states = f.states if isinstance(f, StateFilter) else (f,) if isinstance(f, State) else None
    if states is None:
        return None
    for s in states:
        name = s.state if isinstance(s, State) else s
        if not (name is None or isinstance(name, str)) or name == "*":
            return None
    return states


def in_loop(f: Any, shortcuts: bool = True) -> Any:
    """Magic filters run in the loop; a bare `State` (or a StateFilter of plain states)
    becomes `InState` (`shortcuts=False`: aiogram's `StateFilter`), a `StatesGroup` the
    (async) `StateFilter`; aiogram `Filter`s and coroutine functions pass through."""
    if isinstance(f, MagicFilter):
        return InLoop(f)
    states = _plain_states(f) if shortcuts else None
    if states is not None:
        return InState(*states)
    if isinstance(f, State) or (isinstance(f, type) and issubclass(f, StatesGroup)):
        return StateFilter(f)
    return f


# How AllOf calls one filter: "sync" fn(event); "state" raw_state in names;
# "async" await fn(event, **the keywords it takes of raw_state / bot).
Step = tuple[str, Any, tuple[str, ...]]
_KEYWORDS = frozenset({"raw_state", "bot"})


def _step(f: Any) -> Step | None:
    if isinstance(f, InLoop):
        return "sync", f.resolve, ()
    if isinstance(f, InState):
        return "state", f.names, ()
    call = f.__call__ if isinstance(f, Filter) else f
    if not inspect.iscoroutinefunction(call):
        return None
    params = list(inspect.signature(call).parameters.values())
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        return None
    rest = params[1:]
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or p.name not in _KEYWORDS for p in rest):
        return None
    return "async", call, tuple(p.name for p in rest)


class AllOf(Filter):
    """A handler's filters as one, checked in order as aiogram would: the first falsy result
    rejects; dict results (a command, callback data) are merged for the handler. Built only
    from filters that take the event and at most `raw_state` / `bot` (see `_step`)."""

    def __init__(self, filters: list[Any], steps: list[Step]) -> None:
        self.filters = filters
        self._steps = tuple(steps)

    @classmethod
    def of(cls, filters: list[Any]) -> list[Any]:
        """`[AllOf(filters)]`, or the filters as they are when there is nothing to gain or a
        filter AllOf cannot call the way aiogram would."""
        if len(filters) < 2:
            return filters
        steps = [_step(f) for f in filters]
        if any(s is None for s in steps):
            return filters
        return [cls(filters, steps)]  # type: ignore[arg-type]

    def update_handler_flags(self, flags: dict[str, Any]) -> None:
        for f in self.filters:
            if isinstance(f, Filter):
                f.update_handler_flags(flags=flags)

    async def __call__(self, event: Any, raw_state: str | None = None, bot: Any = None) -> Any:
        return await _check(self._steps, event, raw_state, bot)

    def __str__(self) -> str:
        return f"AllOf({', '.join(map(str, self.filters))})"


async def _check(steps: tuple[Step, ...], event: Any, raw_state: str | None, bot: Any) -> Any:
    """The filters of `steps`, in order, as aiogram checks a handler's filters."""
    data: dict[str, Any] | None = None
    for kind, fn, keywords in steps:
        if kind == "sync":
            result = fn(event)
        elif kind == "state":
            result = raw_state in fn
        elif keywords:
            given = {"raw_state": raw_state, "bot": bot}
            result = await fn(event, **{k: given[k] for k in keywords})
        else:
            result = await fn(event)
        if not result:
            return False
        if isinstance(result, dict):  # later filters see what earlier ones added, as in aiogram
            data = {**data, **result} if data else result
            raw_state, bot = result.get("raw_state", raw_state), result.get("bot", bot)
    return True if data is None else data


class AnyOf(Filter):
    """True when any of the alternatives (each a list of filters, all of which must pass)
    passes; no alternatives: never. The filter of a group of routers (see `group`)."""

    def __init__(self, alternatives: list[list[Any]], steps: list[tuple[Step, ...]]) -> None:
        self.alternatives = alternatives
        self._steps = tuple(steps)

    @classmethod
    def of(cls, alternatives: list[list[Any]]) -> AnyOf | None:
        steps = [tuple(_step(f) for f in alt) for alt in alternatives]
        if any(None in alt for alt in steps):
            return None
        return cls(alternatives, steps)  # type: ignore[arg-type]

    async def __call__(self, event: Any, raw_state: str | None = None, bot: Any = None) -> bool:
        for steps in self._steps:
            if await _check(steps, event, raw_state, bot):
                return True
        return False

    def __str__(self) -> str:
        return "AnyOf(" + " | ".join(f"[{', '.join(map(str, alt))}]" for alt in self.alternatives) + ")"


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

    def skip_unless(self, *filters: Any) -> None:
        """A shortcut, not a filter: an event these reject could not match any handler of this
        router anyway, so the router is skipped without trying them. (tests/bot/test_routing.py
        checks that the routers route every event as they do without shortcuts.)"""
        self._routes._skips.append((self._name, filters))


class Routes:
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[tuple[str, Any, tuple[Any, ...], dict[str, Any]]] = []
        self._filters: list[tuple[str, tuple[Any, ...]]] = []
        self._skips: list[tuple[str, tuple[Any, ...]]] = []
        self.message = _Observer(self, "message")
        self.edited_message = _Observer(self, "edited_message")
        self.callback_query = _Observer(self, "callback_query")
        self.my_chat_member = _Observer(self, "my_chat_member")

    def build(self, shortcuts: bool = True) -> Router:
        """A new Router; `shortcuts=False`: without skip_unless checks, the states added to
        them, InState or AllOf (the reference the tests compare the routing with)."""
        router = Router(name=self.name)
        if not shortcuts:
            for observer, filters in self._filters:
                getattr(router, observer).filter(*(in_loop(f, False) for f in filters))
            for observer, handler, filters, kwargs in self._handlers:
                getattr(router, observer).register(handler, *(in_loop(f, False) for f in filters), **kwargs)
            return router
        for observer, root_filters in self.router_filters().items():
            getattr(router, observer).filter(*AllOf.of(root_filters))
        for observer, handler, filters, kwargs in self._handlers:
            getattr(router, observer).register(handler, *AllOf.of([in_loop(f) for f in filters]), **kwargs)
        return router

    def observers(self) -> set[str]:
        """The kinds of event this router has handlers for."""
        return {observer for observer, *_ in self._handlers}

    def router_filters(self) -> dict[str, list[Any]]:
        """Per kind of event, the router-level filters (after `in_loop`) with the shortcuts:
        first the states the router's handlers wait in (when all of them wait in one), then
        the declared filters, then the skip_unless checks, then — for presses — the buttons
        the handlers filter on (derived from their `CallbackData.filter()`s: a new kind of
        button needs no line of its own here)."""
        roots: dict[str, list[Any]] = {}
        for observer, filters in (*self._filters, *self._skips):
            roots.setdefault(observer, []).extend(in_loop(f) for f in filters)
        presses = [filters for o, _, filters, _ in self._handlers if o == "callback_query"]
        kinds = _buttons_pressed(presses) if presses else None
        if kinds:  # a press whose prefix is none of the router's buttons could match none of them
            roots.setdefault("callback_query", []).append(pressed(*kinds))
        for observer in sorted(self.observers()):
            handlers = [[in_loop(f) for f in filters] for o, _, filters, _ in self._handlers if o == observer]
            states = _states_waited_in(handlers)
            if states is not None:  # every handler waits in a state: skip the router in any other
                roots[observer] = [InState(*states), *roots.get(observer, [])]
        return roots


def group(name: str, *members: Routes, shortcuts: bool = True) -> Router:
    """The members' routers as sub-routers of one router (tried in this order, as if they
    were included one after another), which aiogram skips as a whole when none of them
    could take the event: per kind of event, its filter is "the router-level filters of a
    member with handlers for it pass"."""
    parent = Router(name=name)
    if not shortcuts:
        parent.include_routers(*(m.build(shortcuts=False) for m in members))
        return parent
    for observer in sorted(set(OBSERVERS).union(*(m.observers() for m in members))):
        alternatives = []
        for m in members:
            if observer in m.observers():
                alternatives.append(m.router_filters().get(observer, []))
        if any(not alt for alt in alternatives):
            continue  # a member takes any such event
        check = AnyOf.of(alternatives)
        if check is not None:
            getattr(parent, observer).filter(check)
    parent.include_routers(*(m.build() for m in members))
    return parent


def _states_waited_in(handlers: list[list[Any]]) -> list[str | None] | None:
    """The states in which any of these handlers (their filters, after `in_loop`) can match;
    None when one of them can match in any state."""
    union: set[str | None] = set()
    for filters in handlers:
        names = [f.names for f in filters if isinstance(f, InState)]
        if not names:
            return None
        union |= frozenset.intersection(*names)
    return sorted(union, key=lambda n: (n is not None, n or ""))
