"""Composition root: settings → database → registry → services."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dispatch.adapters.db import make_engine, session_factory, upgrade_async
from dispatch.adapters.uow import UnitOfWork
from dispatch.service.cases import CaseService, ServiceConfig
from dispatch.service.ports import Clock, SystemClock
from dispatch.service.registry import Registry, load_registry
from gridbot.settings import Settings


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    registry: Registry
    service: CaseService = field(init=False)

    def __post_init__(self) -> None:
        self.service = CaseService(
            self.uow,
            lambda: self.registry,
            self.clock,
            ServiceConfig(case_prefix=self.settings.case_prefix, timezone=self.settings.timezone),
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def reload(self) -> Registry:
        """Re-read grids and units (after an import)."""
        self.registry = await load_registry(self.uow())
        self.registry.dispatch_chat_id = self.settings.dispatch_chat_id
        return self.registry

    async def close(self) -> None:
        await self.engine.dispose()


async def bootstrap(
    settings: Settings | None = None, *, migrate: bool = True, clock: Clock | None = None
) -> App:
    settings = settings or Settings()
    settings.ensure_data_dir()
    url = settings.effective_database_url
    if migrate:
        await upgrade_async(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    registry = await load_registry(UnitOfWork(sessions))
    registry.dispatch_chat_id = settings.dispatch_chat_id
    return App(settings, engine, sessions, clock or SystemClock(), registry)
