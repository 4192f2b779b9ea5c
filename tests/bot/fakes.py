"""A scripted classifier for bot tests: the NLU port with predictable answers.

The real model is tested in tests/nlu; here what matters is what the bot does with a
prediction (a confident report, a doubtful one, an emergency, a greeting)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field


@dataclass
class FakePrediction:
    intent: str
    category: str | None
    confidence: float
    emergency: bool = False
    entities: list = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)


RULES: list[tuple[str, FakePrediction]] = [
    ("着火", FakePrediction("report", "other", 0.55, True, ranking=[("other", 0.55)])),
    ("煤气泄漏", FakePrediction("report", "utilities", 0.7, True, ranking=[("utilities", 0.7)])),
    (
        "那堆东西",
        FakePrediction(
            "report",
            "clutter",
            0.34,
            ranking=[("clutter", 0.34), ("garbage", 0.3), ("illegal_construction", 0.12)],
        ),
    ),
    (
        "摆摊",
        FakePrediction(
            "report",
            "street_vending",
            0.93,
            ranking=[("street_vending", 0.93), ("shopfront_encroachment", 0.04), ("clutter", 0.01)],
        ),
    ),
    ("垃圾", FakePrediction("report", "garbage", 0.9, ranking=[("garbage", 0.9), ("clutter", 0.05)])),
    ("井盖", FakePrediction("report", "road_facility", 0.88, ranking=[("road_facility", 0.88)])),
    ("狗", FakePrediction("report", "animals", 0.9, ranking=[("animals", 0.9)])),
    ("你好", FakePrediction("greet", None, 0.95)),
    ("谢谢", FakePrediction("thanks", None, 0.95)),
    ("怎么用", FakePrediction("help", None, 0.9)),
    ("怎么样了", FakePrediction("status_query", None, 0.9)),
]


class ScriptedNlu:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict(self, text: str) -> FakePrediction:
        self.seen.append(text)
        for needle, pred in RULES:
            if needle in text:
                return pred
        return FakePrediction("chitchat", None, 0.6)


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A small valid PNG (no Pillow here)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class FakeTime:
    """A clock and a sleep that only move when slept on (rate limits, backoff)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


SLOW_S = 2.0


class SlowNlu(ScriptedNlu):
    """ScriptedNlu, but a message with 慢 takes `SLOW_S` seconds to classify — the handler of
    that update is slow (the worker's event loop is busy meanwhile, like a CPU-bound step)."""

    def predict(self, text: str) -> FakePrediction:
        if "慢" in text:
            import time

            time.sleep(SLOW_S)
        return super().predict(text)
