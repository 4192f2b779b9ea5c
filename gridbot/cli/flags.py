"""Plain flags show no type in `--help`.

Typer's rich help prints a type for every option, so `--json`, `--strict` or
`--help` read `--json <bool>` as if they took a value. Click's own help (and
every Unix tool) shows a flag bare; this restores that for all commands,
`gridbot nlu …` included, by giving flags and counters no type column.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_display_type_rich = TyperOption.display_type_rich


def _flag_aware_display_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    return _display_type_rich(self, ctx)


def install() -> None:
    """Make plain flags show no metavar in the help of every command (idempotent)."""
    TyperOption.display_type_rich = _flag_aware_display_type  # type: ignore[method-assign,assignment]
