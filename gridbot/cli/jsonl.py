"""Reading JSON Lines from a byte stream: every good line is yielded, every bad line
is reported with its line number (and stops the stream only in strict mode).

The exit rule of the commands that read JSON Lines (`gridbot route`, `gridbot nlu classify`):
0 when every line was answered; 1 when any line was bad — whatever was wrong with it (not
UTF-8, too long, not JSON, not an object, a bad field) — after every good line was answered,
or at the first bad line with --strict; 1 as well when the command cannot run at all."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

MAX_LINE_BYTES = 1 << 20


class StrictStop(Exception):
    pass


@dataclass(slots=True)
class Tally:
    """Bad lines so far: the reader's (not JSON …) and the command's own (a bad field)."""

    bad: int = 0

    @property
    def exit_status(self) -> int:
        return 1 if self.bad else 0


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    obj: dict[str, Any]


def report_bad(number: int, message: str, err: TextIO | None = None) -> None:
    print(f"gridbot: line {number}: {message}", file=err or sys.stderr, flush=True)


def read_objects(
    stream: BinaryIO, *, strict: bool = False, err: TextIO | None = None, tally: Tally | None = None
) -> Iterator[Line]:
    """Yield each JSON object line; blank lines are skipped silently; bad lines are reported
    and counted in `tally`."""
    for number, raw in enumerate(stream, start=1):
        if len(raw) > MAX_LINE_BYTES:
            problem: str | None = f"line longer than {MAX_LINE_BYTES} bytes"
        else:
            problem = None
        if problem is None:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = f"invalid UTF-8 at byte {exc.start}"
        if problem is None:
            text = text.strip().lstrip("\ufeff")
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                problem = f"not valid JSON: {exc.msg} (column {exc.colno})"
            else:
                if not isinstance(obj, dict):
                    problem = "expected a JSON object"
                else:
                    yield Line(number, obj)
                    continue
        report_bad(number, problem, err)
        if tally is not None:
            tally.bad += 1
        if strict:
            raise StrictStop(f"line {number}: {problem}")


def write_line(obj: dict[str, Any], out: TextIO | None = None) -> None:
    (out or sys.stdout).write(json.dumps(obj, ensure_ascii=False) + "\n")
