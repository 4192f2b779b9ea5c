"""通报: the period's report, made once and sent to the leaders' group.

The scheduler (the process holding its lease) calls `make_due` on every tick. When the
policy's moment has come (`dispatch.domain.bulletin.due`) and no bulletin of that period
exists, it builds the report of the period and of the one before (for the change), renders
the message and the XLSX, and writes the marker row (`assessment_bulletins`, keyed by the
period) and the outbox row in one transaction: several schedulers or a restart make it
once — a second insert of the same key fails and changes nothing. The relay sends the
message and then the XLSX as a document (`bot.delivery`)."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import texts
from dispatch.db.bulletin_tables import BulletinRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.assessment import Figures
from dispatch.domain.bulletin import DuePeriod, due
from dispatch.service.assessment_report import Period, Report, build_report
from dispatch.service.assessment_table import fmt
from dispatch.service.assessment_xlsx import assessment_xlsx
from dispatch.service.registry import Registry

log = logging.getLogger(__name__)
KIND = "bulletin"  # the outbox kind (`Notice.BULLETIN`)


def _period(kind: str, label: str, tz: str) -> Period:
    return Period.week(label, tz) if kind == "week" else Period.month(label, tz)


def period_name(kind: str, label: str) -> str:
    """2026-11 → 2026年11月; 2026-W48 → 2026年第48周."""
    if kind == "week":
        year, week = label.split("-W")
        return texts.BULLETIN_PERIOD["week"].format(year=year, week=int(week))
    year, month = label.split("-")
    return texts.BULLETIN_PERIOD["month"].format(year=year, month=int(month))


def _change(key: str, now: float | int | None, before: float | int | None) -> str:
    if now is None:
        return ""
    if before is None:
        return texts.BULLETIN_CHANGE.format(change=texts.BULLETIN_NEW)
    rate = key.endswith("_rate")
    diff = (now - before) * 100 if rate else now - before
    shown = f"{abs(diff):.1f}" if rate else f"{abs(diff):g}"
    if shown in ("0.0", "0"):
        return texts.BULLETIN_CHANGE.format(change=texts.BULLETIN_SAME)
    if rate:
        shown = texts.BULLETIN_POINTS.format(value=shown)
    arrow = texts.BULLETIN_UP if diff > 0 else texts.BULLETIN_DOWN
    return texts.BULLETIN_CHANGE.format(change=arrow.format(diff=shown))


def _figure(f: Figures, key: str) -> float | int | None:
    value: float | int | None = getattr(f, key)
    return value


def _ranking(title: str, group: list[Figures], n: int) -> str:
    items = "；".join(
        texts.BULLETIN_RANK_ITEM.format(place=i, name=f.name, score=f"{f.score or 0.0:.1f}")
        for i, f in enumerate(group, 1)
    )
    return title.format(n=n) + (items or texts.BULLETIN_RANK_NONE)


def esc_html(text: str) -> str:
    return html.escape(text, quote=False)


def render(report: Report, previous: Report, due_period: DuePeriod, registry: Registry) -> str:
    """The message: title, the key figures with their change, the top and bottom units and
    grids, the 约谈 list (a month), and where the details are."""
    n = registry.policy.assessment.ranking_size
    lines = [
        texts.BULLETIN_TITLE.format(period=period_name(due_period.kind, due_period.label)),
        texts.BULLETIN_VS.format(previous=period_name(due_period.kind, due_period.previous)),
    ]
    for key, template in texts.BULLETIN_FIGURES.items():
        value = _figure(report.total, key)
        lines.append(
            template.format(value=fmt(key, value)) + _change(key, value, _figure(previous.total, key))
        )
    for key, group in (
        ("unit_top", report.unit_top),
        ("unit_bottom", report.unit_bottom),
        ("grid_top", report.grid_top),
        ("grid_bottom", report.grid_bottom),
    ):
        lines.append(esc_html(_ranking(texts.BULLETIN_RANKING[key], group, n)))
    interview = report.labels.get("interview") or {}
    names = [registry.unit_name(u) for u in interview.get("units", [])]
    names += [registry.tree.name(g) if g in registry.tree else g for g in interview.get("grids", [])]
    if names:
        months = registry.policy.assessment.interview_months
        lines.append(esc_html(texts.BULLETIN_INTERVIEW.format(months=months, names="、".join(names))))
    lines.append(texts.BULLETIN_FOOTER.format(file=texts.BULLETIN_FILE.format(label=due_period.label)))
    return "\n".join(lines)


async def make_due(
    uow_factory: Callable[[], UnitOfWork], registry: Registry, now: datetime, tz: str
) -> str | None:
    """Make the bulletin that is due, once; its key, or None when nothing was made."""
    settings = registry.policy.assessment.bulletin
    period_due = due(settings, now, ZoneInfo(tz))
    if period_due is None or settings.chat_id is None:
        return None
    async with uow_factory() as uow:
        if await uow.session.get(BulletinRow, period_due.key) is not None:
            return None
    period = _period(period_due.kind, period_due.label, tz)
    report = await build_report(uow_factory(), registry, period, now=now)
    previous = await build_report(
        uow_factory(), registry, _period(period_due.kind, period_due.previous, tz), now=now, interview=False
    )
    text = render(report, previous, period_due, registry)
    row = BulletinRow(
        key=period_due.key,
        chat_id=settings.chat_id,
        created_at=now,
        text=text,
        file_name=texts.BULLETIN_FILE.format(label=period_due.label),
        xlsx=assessment_xlsx(report),
    )
    async with uow_factory() as uow:
        uow.session.add(row)
        uow.outbox.add(chat_id=settings.chat_id, kind=KIND, payload={"bulletin": period_due.key}, now=now)
        try:
            await uow.commit()
        except IntegrityError:  # another scheduler made it meanwhile
            log.info("bulletin %s: made elsewhere", period_due.key)
            return None
    log.info("bulletin %s made for chat %s", period_due.key, settings.chat_id)
    return period_due.key


async def bulletin(uow: UnitOfWork, key: str) -> BulletinRow | None:
    return (await uow.session.scalars(select(BulletinRow).where(BulletinRow.key == key))).first()
