"""One router per feature; `all_routers()` builds fresh ones, in the order they are tried.

The routers before `report` take commands, 取消, groups and the units' and grid workers'
steps; they are grouped (`bot.routes.group`) so that a resident's report, most of the
traffic, passes them with one check instead of one per router."""

from __future__ import annotations

from aiogram import Router

from bot.routes import group


def all_routers(shortcuts: bool = True) -> list[Router]:
    """`shortcuts=False`: the same routing without the checks that skip routers (see
    `bot.routes`); tests compare the two."""
    from bot.routers import (
        admin,
        dispatcher,
        fallback,
        grid,
        group_menu,
        patrol,
        report,
        start,
        status,
        summary,
        unit,
    )

    before = (start, admin, unit, grid, group_menu, dispatcher, patrol, status)
    return [
        group(__name__ + ".before_report", *(m.routes for m in before), shortcuts=shortcuts),
        *(m.routes.build(shortcuts=shortcuts) for m in (report, summary, fallback)),
    ]
