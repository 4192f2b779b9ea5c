"""What the dispatch service needs from the outside, as protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class Prediction(Protocol):
    """What a classifier returns (read-only: any object with these attributes will do)."""

    @property
    def intent(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def confidence(self) -> float: ...
    @property
    def emergency(self) -> bool: ...
    @property
    def entities(self) -> Sequence[Any]: ...
    @property
    def ranking(self) -> Sequence[tuple[str, float]]: ...  # the best categories, best first


class Classifier(Protocol):
    def predict(self, text: str) -> Prediction: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        from datetime import UTC

        return datetime.now(UTC)


class FixedClock:
    """A clock tests can set and advance (no sleeping)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("clock must be timezone-aware")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self._now = self._now + timedelta(**delta)
        return self._now
