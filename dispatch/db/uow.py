"""The unit of work: one transaction around one command."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dispatch.db.repository import (
    CaseRepository,
    CorrectionRepository,
    GridRepository,
    MemberRepository,
    MessageRepository,
    OutboxRepository,
    UnitRepository,
)


class UnitOfWork:
    """`async with uow:` opens a session; `await uow.commit()` makes it durable.

    Leaving the block without commit rolls everything back."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.grids = GridRepository(self.session)
        self.units = UnitRepository(self.session)
        self.members = MemberRepository(self.session)
        self.cases = CaseRepository(self.session)
        self.messages = MessageRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.corrections = CorrectionRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing discards an uncommitted transaction; objects read stay usable
        # (detached, not expired). On an error, roll back explicitly first.
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def flush(self) -> None:
        """Write what the repositories queued (outbox and correction rows); commit does."""
        await self.outbox.flush()
        await self.corrections.flush()

    async def commit(self) -> None:
        await self.flush()
        await self.session.commit()

    async def rollback(self) -> None:
        self.outbox.discard()
        self.corrections.discard()
        await self.session.rollback()
