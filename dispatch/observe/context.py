"""What a log line concerns: the update being handled and the case, carried in context
variables so every line logged meanwhile (in any module) can name them."""

from __future__ import annotations

from contextvars import ContextVar

update_id: ContextVar[int | None] = ContextVar("gridbot_update_id", default=None)
case_number: ContextVar[str | None] = ContextVar("gridbot_case_number", default=None)


def set_case(number: str | None) -> None:
    """Name the case the current task works on (kept until the task ends or it is set again)."""
    if number:
        case_number.set(number)
