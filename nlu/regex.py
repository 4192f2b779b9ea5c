"""Faster big alternations: prefix a pattern with a look-ahead on its possible first characters.

Python's `re` tries every alternative at every position. For a pattern such as
the ~150 danger cues, a leading `(?=[…])` class of the characters a match can
start with lets the engine skip almost every position with one set test (about
4× faster, identical matches). The class is computed from the parsed pattern;
when it cannot be (a wildcard or a large class first), the pattern is used as is.
"""

from __future__ import annotations

import re

# CPython's own regex parser (re._parser since 3.11, the oldest Python this project supports)
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _p  # type: ignore[attr-defined]
from typing import Any

_MAX_RANGE = 300


def _first(seq: Any) -> set[str] | None:
    out: set[str] = set()
    for op, av in seq:
        if op is _c.LITERAL:
            out.add(chr(av))
            return out
        if op is _c.AT:  # \b, ^: zero-width, look at what follows
            continue
        if op is _c.BRANCH:
            for branch in av[1]:
                f = _first(branch.data)
                if f is None:
                    return None
                out |= f
            return out
        if op is _c.SUBPATTERN:
            f = _first(av[-1].data)
            if f is None:
                return None
            return out | f
        if op is _c.IN:
            for o, a in av:
                if o is _c.LITERAL:
                    out.add(chr(a))
                elif o is _c.RANGE and a[1] - a[0] < _MAX_RANGE:
                    out |= {chr(c) for c in range(a[0], a[1] + 1)}
                else:
                    return None
            return out
        if op is _c.MAX_REPEAT or op is _c.MIN_REPEAT:
            lo, _, sub = av
            f = _first(sub.data)
            if f is None:
                return None
            out |= f
            if lo > 0:
                return out
            continue
        return None
    return None  # could match the empty string


def first_chars(pattern: str) -> set[str] | None:
    try:
        return _first(_p.parse(pattern).data)
    except Exception:  # pragma: no cover - parser internals changed
        return None


def compile_with_lookahead(pattern: str, flags: int = 0) -> re.Pattern[str]:
    chars = first_chars(pattern)
    if not chars:
        return re.compile(pattern, flags)
    cls = "".join(sorted(re.escape(c) for c in chars))
    return re.compile(f"(?=[{cls}])(?:{pattern})", flags)
