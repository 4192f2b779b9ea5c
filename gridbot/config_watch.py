"""Picks up configuration changes made by other processes (the console, `gridbot policy
import`, `gridbot units import`…): every ~15 s one cheap read of the configuration
version; when it moved, the registry (grids, units, policy) is reloaded in place. The same
tick notices a newly active NLU model (`gridbot nlu retrain` / `rollback`) and loads it."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridbot.bootstrap import App

log = logging.getLogger(__name__)
INTERVAL_S = 15.0


async def reload_nlu_models() -> int:
    """A retrained or rolled-back NLU model becomes active in this process's live models
    (`nlu/live.py`; loaded in a thread: the event loop keeps answering)."""
    live = sys.modules.get("nlu.live")  # only processes that loaded a live model have one
    if live is None:
        return 0
    return int(await asyncio.to_thread(live.check_all))


async def watch_config(app: App, stop: asyncio.Event, interval: float = INTERVAL_S) -> None:
    """Until `stop` is set: check, then wait `interval` seconds (or until stopped)."""
    while not stop.is_set():
        try:
            if await app.reload_if_changed():
                log.info("configuration changed: reloaded (version %s)", app.registry.config_version)
        except Exception:  # a database hiccup must not end the watcher
            log.exception("configuration check failed")
        try:
            await reload_nlu_models()
        except Exception:  # an unreadable store must not end the watcher
            log.exception("NLU model check failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


def start_config_watch(app: App, stop: asyncio.Event, interval: float = INTERVAL_S) -> asyncio.Task[None]:
    """The watcher as a background task; it ends soon after `stop` is set."""
    return asyncio.create_task(watch_config(app, stop, interval), name="config-watch")
