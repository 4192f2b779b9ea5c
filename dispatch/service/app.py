"""The application: the case service with its database, clock and registry, as every channel
(the bot, the console, the command line) receives it from the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dispatch.db.uow import UnitOfWork
from dispatch.service import config_log
from dispatch.service.cases import CaseService, ServiceConfig
from dispatch.service.patrols import PatrolService
from dispatch.service.ports import Clock
from dispatch.service.registry import Registry, load_registry
from dispatch.settings import Settings


def service_config(settings: Settings, registry: Registry) -> ServiceConfig:
    """The case service's settings: the deployment's (prefix, timezone) and the configured
    policy's (核查 required, duplicate detection)."""
    return ServiceConfig(
        case_prefix=settings.case_prefix,
        timezone=settings.timezone,
        require_verification=registry.policy.require_verification,
        duplicates=registry.policy.duplicates,
    )


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    registry: Registry
    service: CaseService = field(init=False)
    patrols: PatrolService = field(init=False)

    def __post_init__(self) -> None:
        self.service = CaseService(
            self.uow, lambda: self.registry, self.clock, service_config(self.settings, self.registry)
        )
        self.patrols = PatrolService(self.uow, lambda: self.registry, self.clock, self.settings.timezone)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def reload(self) -> Registry:
        """Re-read grids, units and the policy (after an import or an edit)."""
        registry = await load_registry(self.uow(), timezone=self.settings.timezone)
        registry.dispatch_chat_id = self.settings.dispatch_chat_id
        self.registry = registry
        self.service.config = replace(
            self.service.config,
            require_verification=registry.policy.require_verification,
            duplicates=registry.policy.duplicates,
        )
        return registry

    async def config_version(self) -> int:
        """The configuration version in the database (one primary-key read)."""
        async with self.uow() as uow:
            return await config_log.current_version(uow.session)

    async def reload_if_changed(self) -> bool:
        """Reload when another process (console, CLI import, bot) changed the configuration
        since this registry was loaded. True if it reloaded."""
        if await self.config_version() == self.registry.config_version:
            return False
        await self.reload()
        return True

    async def close(self) -> None:
        await self.engine.dispose()
