"""Login throttling by address and by (address, account) — never by account alone.

A per-account lock lets anyone lock the real user out by typing wrong passwords for them.
Here failures are counted per (address, username) and per address: after a few free
failures a key is refused for a delay that doubles with each further failure (up to a cap),
and the count is forgotten after a quiet period. A stranger guessing from elsewhere therefore
slows down only himself; the real user, from his own address, logs in as usual.

State is in process memory (the console runs in one process), bounded in size: the least
recently failed keys are dropped first."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

PAIR_FREE = 5  # failures of one account from one address before it is slowed down
ADDRESS_FREE = 20  # failures from one address (any accounts) before it is slowed down
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)  # a key without failures for this long starts afresh
MAX_KEYS = 50_000


@dataclass(slots=True)
class _Failures:
    count: int
    last: datetime
    blocked_until: datetime | None


def _delay(count: int, free: int) -> timedelta | None:
    if count < free:
        return None
    return min(BASE_DELAY * 2 ** (count - free), MAX_DELAY)


class LoginThrottle:
    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self._keys: OrderedDict[tuple[str, ...], _Failures] = OrderedDict()
        self.max_keys = max_keys

    @staticmethod
    def _keys_of(address: str, username: str) -> tuple[tuple[tuple[str, ...], int], ...]:
        return (("pair", address, username.strip().casefold()), PAIR_FREE), (("addr", address), ADDRESS_FREE)

    def retry_after(self, address: str, username: str, now: datetime) -> timedelta | None:
        """How long this address must wait before trying this account again (None: go ahead)."""
        wait: timedelta | None = None
        for key, _ in self._keys_of(address, username):
            f = self._keys.get(key)
            if f is None:
                continue
            if now - f.last >= FORGET_AFTER:
                del self._keys[key]
                continue
            if f.blocked_until is not None and f.blocked_until > now:
                left = f.blocked_until - now
                wait = left if wait is None else max(wait, left)
        return wait

    def attempt(self, address: str, username: str, now: datetime) -> timedelta | None:
        """Before checking a password: the wait if refused; else the attempt is counted as a
        failure until `succeeded` says otherwise (so parallel guesses cannot slip past)."""
        wait = self.retry_after(address, username, now)
        if wait is None:
            self.failed(address, username, now)
        return wait

    def failed(self, address: str, username: str, now: datetime) -> None:
        for key, free in self._keys_of(address, username):
            f = self._keys.pop(key, None)
            if f is None or now - f.last >= FORGET_AFTER:
                f = _Failures(0, now, None)
            f.count += 1
            f.last = now
            delay = _delay(f.count, free)
            f.blocked_until = now + delay if delay is not None else None
            self._keys[key] = f  # most recent last
        while len(self._keys) > self.max_keys:
            self._keys.popitem(last=False)

    def succeeded(self, address: str, username: str) -> None:
        """A correct login: its (address, account) count is cleared, and the attempt that
        `attempt` counted is taken back from the address's count."""
        (pair, _), (addr, free) = self._keys_of(address, username)
        self._keys.pop(pair, None)
        f = self._keys.get(addr)
        if f is not None:
            f.count = max(0, f.count - 1)
            delay = _delay(f.count, free)
            f.blocked_until = f.last + delay if delay is not None else None
