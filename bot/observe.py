"""Per-update observation: the update id in the log context, updates counted by kind, the
handler's latency and the NLU's latency (dispatch/observe)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware

from dispatch.observe import context, metrics


class UpdateObserver(BaseMiddleware):
    """The outermost update middleware: everything logged while an update is handled names its
    update id (and the case, once the service knows it)."""

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        uid = getattr(event, "update_id", None)
        # Not reset on the way out: aiogram's own "Update id=… is handled" line comes after,
        # in the same task (each update is handled in a task of its own).
        context.update_id.set(uid if isinstance(uid, int) else None)
        case_token = context.case_number.set(None)
        kind = getattr(event, "event_type", None) or "unknown"
        start = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            metrics.HANDLER_SECONDS.observe(time.perf_counter() - start)
            metrics.UPDATES.labels(kind=kind).inc()
            context.case_number.reset(case_token)


class TimedClassifier:
    """The NLU with each `predict` timed; everything else is the classifier's own."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def predict(self, text: str) -> Any:
        with metrics.NLU_SECONDS.time():
            return self._inner.predict(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
