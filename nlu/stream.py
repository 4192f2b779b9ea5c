"""`gridbot nlu classify`: JSON Lines in, JSON Lines out, one bad line never stops the rest.

Input is read as bytes and decoded line by line, so invalid UTF-8 on one line
is that line's error only. Each bad line (invalid UTF-8, not JSON, not an object,
no `text`, `text` not a string) gets one stderr message with its line number
and no output line; every other line gets exactly one output line, in order.
Blank lines are skipped. With `strict`, the first bad line stops the stream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from nlu.pipeline import Prediction

_SURROGATE = re.compile("[\ud800-\udfff]")


class Predictor(Protocol):
    def predict(self, text: str) -> Prediction: ...


class BadLine(ValueError):
    pass


def parse_line(raw: bytes, lineno: int) -> tuple[Any, str]:
    """(id, text) of one input line, or `BadLine`."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadLine(f"line {lineno}: invalid UTF-8 at byte {e.start}") from None
    if lineno == 1:
        line = line.lstrip("\ufeff")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise BadLine(f"line {lineno}: invalid JSON: {e.msg} (column {e.colno})") from None
    except RecursionError:
        raise BadLine(f"line {lineno}: invalid JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise BadLine(f"line {lineno}: expected a JSON object with 'id' and 'text'")
    if "text" not in obj:
        raise BadLine(f"line {lineno}: missing 'text'")
    text = obj["text"]
    if not isinstance(text, str):
        raise BadLine(f"line {lineno}: 'text' must be a string, got {type(text).__name__}")
    # lone surrogates (from "\ud800" escapes) cannot be written as UTF-8: same length U+FFFD
    return obj.get("id"), _SURROGATE.sub("\ufffd", text)


def classify_lines(
    model: Predictor,
    lines: Iterable[bytes],
    write: Callable[[bytes], None],
    error: Callable[[str], None],
    strict: bool = False,
) -> int:
    """Answer every good line; report bad ones. Returns the number of bad lines."""
    bad = 0
    for lineno, raw in enumerate(lines, 1):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            id_, text = parse_line(raw, lineno)
        except BadLine as e:
            bad += 1
            error(str(e))
            if strict:
                break
            continue
        out = {"id": id_}
        out.update(model.predict(text).as_dict())
        write(json.dumps(out, ensure_ascii=False).encode("utf-8") + b"\n")
    return bad
