"""A readable diff of two configuration documents, one line per changed setting."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MISSING = "—"


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} → {"a.b": 1}; lists and scalars are leaves, empty mappings vanish."""
    if not isinstance(doc, Mapping):
        return {prefix: doc} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in doc.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten(value, path))  # an empty mapping has no settings
        else:
            out[path] = value
    return out


def show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def diff_lines(before: Any, after: Any) -> list[str]:
    """`path: old → new` for every leaf that differs (— where a side has none)."""
    a, b = flatten(before or {}), flatten(after or {})
    lines = []
    for path in sorted(a.keys() | b.keys()):
        old, new = a.get(path, MISSING), b.get(path, MISSING)
        if old != new:
            lines.append(f"{path}: {show(old)} → {show(new)}")
    return lines
