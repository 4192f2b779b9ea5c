"""Composition root: settings → database → registry → the application."""

from __future__ import annotations

from dispatch.db.db import make_engine, session_factory, upgrade_async
from dispatch.db.uow import UnitOfWork
from dispatch.service.app import App
from dispatch.service.ports import Clock, SystemClock
from dispatch.service.registry import load_registry
from dispatch.settings import Settings

__all__ = ["App", "bootstrap"]


async def bootstrap(
    settings: Settings | None = None, *, migrate: bool = True, clock: Clock | None = None
) -> App:
    settings = settings or Settings()
    settings.ensure_data_dir()
    url = settings.effective_database_url
    if migrate:
        await upgrade_async(url)
    engine = make_engine(url, sqlite_threads=settings.sqlite_threads)
    sessions = session_factory(engine)
    registry = await load_registry(UnitOfWork(sessions), timezone=settings.timezone)
    registry.dispatch_chat_id = settings.dispatch_chat_id
    return App(settings, engine, sessions, clock or SystemClock(), registry)
