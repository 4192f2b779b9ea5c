"""`gridbot history import PATH`: cases from an older system (or the demo county's past)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


async def run_history_import(settings: Any, path: Path) -> Any:
    """Replay the file into the case log; raises HistoryError (nothing written) on a bad line."""
    from datetime import UTC, datetime

    from dispatch.service.history import import_history
    from gridbot.bootstrap import bootstrap

    lines = path.read_text(encoding="utf-8-sig").splitlines()
    app = await bootstrap(settings)
    try:
        return await import_history(
            app.uow(), app.registry, lines, prefix=settings.case_prefix, tz=settings.tz,
            now=datetime.now(UTC),
        )
    finally:
        await app.close()
