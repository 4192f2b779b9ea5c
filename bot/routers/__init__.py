"""One router per feature; `all_routers()` builds fresh ones, in the order they are tried."""

from __future__ import annotations

from aiogram import Router


def all_routers() -> list[Router]:
    from bot.routers import admin, fallback, grid, report, start, status, summary, unit

    return [m.routes.build() for m in (start, admin, unit, grid, status, report, summary, fallback)]
