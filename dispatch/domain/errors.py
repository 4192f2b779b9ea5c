"""Domain errors: each carries a message fit for one line of output."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for errors raised by the pure domain."""


class IllegalTransition(DomainError):
    def __init__(self, case_number: str, old: str, new: str) -> None:
        super().__init__(f"case {case_number}: transition {old} → {new} is not allowed")
        self.case_number = case_number
        self.old = old
        self.new = new


class ConcurrentModification(DomainError):
    """Someone else changed the case first; reload and try again."""


class NotAuthorised(DomainError):
    """The actor may not perform this action on this case."""


class OutdatedRound(DomainError):
    """A request of an earlier round of the case (a rating asked for before a 返工)."""

    def __init__(self, case_number: str, asked: int, current: int) -> None:
        super().__init__(f"case {case_number}: round {asked} is over (now round {current})")


class ImportErrorLine(DomainError):
    """Invalid import data; the message names the offending id or line."""


class RoutingConfigError(ImportErrorLine):
    """Units whose rules tie for some grid and category."""
