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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from nlu.pipeline import Prediction

_SURROGATE = re.compile("[\ud800-\udfff]")


class Predictor(Protocol):
    def predict(self, text: str) -> Prediction: ...

    def predict_batch(self, texts: Sequence[str]) -> list[Prediction]: ...


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
    """Answer every good line, one at a time; report bad ones. Returns the number of bad lines."""
    return classify_batches(model, ([raw] for raw in lines), write, error, strict)


def available_lines(stream: BinaryIO, size: int = 1 << 16) -> Iterator[list[bytes]]:
    """The complete lines the stream has ready, a list at a time: a piped file comes in chunks
    of many lines (predicted as a batch), a person typing gets each line answered at once (a
    read waits only while nothing is ready)."""
    read1 = getattr(stream, "read1", None)
    if read1 is None:
        yield from ([raw] for raw in stream)
        return
    pieces: list[bytes] = []  # the line being read, until its newline comes
    while chunk := read1(size):
        if b"\n" not in chunk:
            pieces.append(chunk)
            continue
        lines = chunk.split(b"\n")
        lines[0] = b"".join(pieces) + lines[0]
        tail = lines.pop()
        pieces = [tail] if tail else []
        yield lines
    if pieces:
        yield [b"".join(pieces)]


@dataclass(slots=True)
class Answered:
    """What one list of lines comes to: the answers of its good lines (one JSON line each, in
    input order), a message per bad line, and whether a bad line stopped the stream (strict)."""

    out: bytes
    errors: list[str]
    stopped: bool = False


def answer_lines(model: Predictor, batch: Sequence[bytes], first_lineno: int,
                 strict: bool = False) -> Answered:
    """Parse, predict and encode one list of lines (numbered from `first_lineno`), predicted as
    one batch. The one place a line becomes an answer, in this process or in a worker."""
    ids: list[Any] = []
    texts: list[str] = []
    errors: list[str] = []
    stopped = False
    for lineno, raw in enumerate(batch, first_lineno):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            id_, text = parse_line(raw, lineno)
        except BadLine as e:
            errors.append(str(e))
            if strict:
                stopped = True
                break
            continue
        ids.append(id_)
        texts.append(text)
    if not texts:
        return Answered(b"", errors, stopped)
    # Always the batch path, also for a batch of one: a line's answer does not depend on how
    # the stream happened to be chunked (the one-message path's arithmetic differs in the last
    # bits, which can move a rounded fourth decimal).
    predictions = model.predict_batch(texts)
    return Answered(b"".join(_answer(id_, p) for id_, p in zip(ids, predictions, strict=True)),
                    errors, stopped)


def emit(answered: Answered, write: Callable[[bytes], None], error: Callable[[str], None]) -> None:
    """A list's bad lines on the error stream, then its answers with one `write`."""
    for message in answered.errors:
        error(message)
    if answered.out:
        write(answered.out)


def classify_batches(
    model: Predictor,
    batches: Iterable[list[bytes]],
    write: Callable[[bytes], None],
    error: Callable[[str], None],
    strict: bool = False,
) -> int:
    """Answer every good line, each list of lines predicted as one batch and written in order
    with one `write`; report bad ones. Returns the number of bad lines."""
    bad = 0
    lineno = 1
    for batch in batches:
        answered = answer_lines(model, batch, lineno, strict)
        lineno += len(batch)
        bad += len(answered.errors)
        emit(answered, write, error)
        if answered.stopped:
            break
    return bad


def _answer(id_: Any, prediction: Prediction) -> bytes:
    out = {"id": id_}
    out.update(prediction.as_dict())
    return json.dumps(out, ensure_ascii=False).encode("utf-8") + b"\n"
