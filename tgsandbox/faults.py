"""Fault injection and Telegram-like rate limits for the sandbox Bot API.

Faults are drawn from a seeded ``random.Random``, two draws per call in scope, so the same seed
and the same sequence of calls give the same faults (the delivery tests rely on it).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .errors import too_many_requests

# Methods a delivery relay calls; faults apply to these unless ``methods`` says otherwise.
SENDING_METHODS = frozenset({
    "sendmessage", "sendphoto", "sendmediagroup", "sendlocation", "senddocument",
    "sendchataction", "copymessage", "forwardmessage", "editmessagetext",
    "editmessagereplymarkup", "editmessagecaption", "deletemessage", "answercallbackquery",
})

OUTCOMES = ("ok", "429", "500", "drop", "drop_after")


@dataclass(frozen=True)
class FaultConfig:
    """Shares (0..1) of calls answered with a fault.

    ``rate_429``, ``rate_500``, ``rate_drop`` and ``rate_drop_after`` are exclusive and must
    sum to at most 1. ``rate_drop`` closes the connection before the call is executed;
    ``rate_drop_after`` executes it and then closes the connection, so the response is lost
    (the message *was* sent - the case where a client cannot avoid a duplicate without
    idempotency). ``rate_delay`` independently delays a call by ``delay_ms`` before anything
    else. ``methods``: Bot API method names in scope (case-insensitive); ``None`` means the
    sending methods (:data:`SENDING_METHODS`), ``{"*"}`` every method including getUpdates.
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_drop: float = 0.0
    rate_drop_after: float = 0.0
    rate_delay: float = 0.0
    delay_ms: int = 0
    retry_after: int = 1
    seed: int | None = 0
    methods: frozenset[str] | None = None

    def __post_init__(self) -> None:
        rates = (self.rate_429, self.rate_500, self.rate_drop, self.rate_drop_after,
                 self.rate_delay)
        if any(not 0.0 <= r <= 1.0 for r in rates):
            raise ValueError("fault rates must be between 0 and 1")
        if self.rate_429 + self.rate_500 + self.rate_drop + self.rate_drop_after > 1.0 + 1e-9:
            raise ValueError("rate_429 + rate_500 + rate_drop + rate_drop_after must be <= 1")
        if self.retry_after < 1:
            raise ValueError("retry_after must be >= 1 (aiogram ignores retry_after=0)")
        if self.delay_ms < 0:
            raise ValueError("delay_ms must be >= 0")
        if self.methods is not None:
            object.__setattr__(self, "methods", frozenset(m.lower() for m in self.methods))

    @property
    def active(self) -> bool:
        return any((self.rate_429, self.rate_500, self.rate_drop, self.rate_drop_after,
                    self.rate_delay and self.delay_ms))

    def covers(self, method: str) -> bool:
        scope = self.methods if self.methods is not None else SENDING_METHODS
        return "*" in scope or method.lower() in scope

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["methods"] = sorted(self.methods) if self.methods is not None else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: FaultConfig | None = None) -> FaultConfig:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        values = dict(data)
        if values.get("methods") is not None:
            values["methods"] = frozenset(values["methods"])
        return replace(base or cls(), **values)


@dataclass(frozen=True)
class Decision:
    outcome: str = "ok"  # one of OUTCOMES
    delay: float = 0.0


class FaultInjector:
    def __init__(self, config: FaultConfig | None = None) -> None:
        self.stats: Counter[str] = Counter()
        self.by_method: dict[str, Counter[str]] = {}
        # Calls carried out whose answer was lost (drop_after): (method, chat id, message id)
        # — what a client that retries them may duplicate.
        self.lost_answers: list[tuple[str, int | None, int | None]] = []
        self.configure(config or FaultConfig())

    def lost_answer(self, method: str, result: Any) -> None:
        chat_id = message_id = None
        if isinstance(result, dict):
            chat_id = (result.get("chat") or {}).get("id")
            message_id = result.get("message_id")
        self.lost_answers.append((method, chat_id, message_id))

    def configure(self, config: FaultConfig, reset_stats: bool = True) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        if reset_stats:
            self.stats.clear()
            self.by_method.clear()
            self.lost_answers.clear()

    def decide(self, method: str) -> Decision:
        c = self.config
        if not c.active or not c.covers(method):
            return Decision()
        r, d = self._rng.random(), self._rng.random()
        outcome = "ok"
        for name, rate in (("429", c.rate_429), ("500", c.rate_500), ("drop", c.rate_drop),
                           ("drop_after", c.rate_drop_after)):
            if r < rate:
                outcome = name
                break
            r -= rate
        delay = c.delay_ms / 1000.0 if d < c.rate_delay else 0.0
        self.stats[outcome] += 1
        self.stats["calls"] += 1
        if delay:
            self.stats["delayed"] += 1
        per = self.by_method.setdefault(method, Counter())
        per[outcome] += 1
        return Decision(outcome, delay)

    def snapshot(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "stats": dict(self.stats),
                "by_method": {m: dict(c) for m, c in self.by_method.items()}}


@dataclass(frozen=True)
class RateLimitConfig:
    """Telegram's documented limits: ~30 messages/s overall, ~1/s per private chat (short
    bursts tolerated), 20/min per group. Off unless ``enabled``."""

    enabled: bool = False
    global_per_second: float = 30.0
    global_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any],
                  base: RateLimitConfig | None = None) -> RateLimitConfig:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown rate limit settings: {', '.join(sorted(unknown))}")
        return replace(base or cls(), **dict(data))


@dataclass
class _Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, n: float) -> float:
        return 0.0 if self.tokens >= n else (n - self.tokens) / self.rate


@dataclass
class RateLimiter:
    config: RateLimitConfig = field(default_factory=RateLimitConfig)
    clock: Callable[[], float] = time.monotonic
    limited: int = 0

    def __post_init__(self) -> None:
        self._buckets: dict[Any, _Bucket] = {}

    def configure(self, config: RateLimitConfig) -> None:
        self.config = config
        self._buckets.clear()

    def _bucket(self, key: Any, rate: float, capacity: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.capacity != capacity:
            bucket = _Bucket(rate, capacity, capacity, now)
            self._buckets[key] = bucket
        bucket.refill(now)
        return bucket

    def check(self, chat_id: int, chat_type: str, count: int = 1) -> None:
        """Take ``count`` messages' worth of tokens or raise 429 with ``retry_after``."""
        c = self.config
        if not c.enabled:
            return
        now = self.clock()
        buckets: Iterable[_Bucket] = [
            self._bucket("global", c.global_per_second, c.global_burst, now),
            self._bucket(chat_id, c.group_per_minute / 60.0, c.group_burst, now)
            if chat_type in ("group", "supergroup", "channel")
            else self._bucket(chat_id, c.private_per_second, c.private_burst, now),
        ]
        wait = max(b.wait_for(min(count, b.capacity)) for b in buckets)
        if wait > 0:
            self.limited += 1
            raise too_many_requests(max(1, math.ceil(wait)))
        for b in buckets:
            b.tokens -= count
