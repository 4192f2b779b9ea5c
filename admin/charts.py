"""Chart geometry, computed here and drawn as inline SVG by `templates/_charts.html`
(so every label passes through Jinja's autoescape). No JavaScript, no external assets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


def nice_max(value: float) -> float:
    """A round axis maximum ≥ value: 1, 2, 5 × 10^n."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        top = m * 10**exp
        if top >= value:
            return float(top)
    return float(10 ** (exp + 1))


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str
    value: int
    tick: str = ""  # axis label drawn under the bar (may be empty)


@dataclass
class Column:
    """Vertical bars (volume by day)."""

    width: int
    height: int
    bars: list[Bar]
    grid: list[tuple[float, str]]  # (y, label) horizontal grid lines
    left: int
    bottom: int
    total: int


def columns(points: list[tuple[str, str, int]], width: int = 1200, height: int = 260) -> Column:
    """points: (tick label, full label, value)."""
    left, right, top, bottom = 40, 8, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(nice_max(max((v for _, _, v in points), default=0)), 5.0)
    n = max(len(points), 1)
    step = plot_w / n
    bw = max(step * 0.72, 1.0)
    bars = []
    every = max(1, math.ceil(n / 16))
    for i, (tick, label, value) in enumerate(points):
        h = plot_h * value / top_value
        bars.append(Bar(left + i * step + (step - bw) / 2, top + plot_h - h, bw, h, label, value,
                        tick if i % every == 0 else ""))
    steps = 5 if (top_value / 5).is_integer() else 4
    grid = []
    for k in range(steps + 1):
        v = top_value * k / steps
        grid.append((top + plot_h - plot_h * k / steps, f"{v:g}"))
    return Column(width, height, bars, grid, left, height - bottom, sum(v for _, _, v in points))


@dataclass
class HBar:
    label: str
    value: int
    share: float  # of the largest, 0..1
    pct: float  # of the total
    href: str = ""


def hbars(items: list[tuple[str, int, str]], limit: int = 10, other: str = "") -> list[HBar]:
    """Largest first; the tail folded into one `other` row."""
    items = sorted(items, key=lambda t: (-t[1], t[0]))
    total = sum(v for _, v, _ in items) or 1
    head = items[:limit]
    if other and len(items) > limit:
        head.append((other, sum(v for _, v, _ in items[limit:]), ""))
    top = max((v for _, v, _ in head), default=0) or 1
    return [HBar(label, value, value / top, value / total, href) for label, value, href in head]


@dataclass
class Ring:
    """A rate as a ring gauge."""

    label: str
    value: float | None
    detail: str
    path: str = ""
    tone: str = "good"
    extra: dict[str, str] = field(default_factory=dict)


def ring(label: str, value: float | None, detail: str, higher_is_better: bool = True,
         r: float = 34, cx: float = 42, cy: float = 42) -> Ring:
    out = Ring(label, value, detail)
    if value is None:
        out.tone = "none"
        return out
    good = value if higher_is_better else 1 - value
    out.tone = "good" if good >= 0.9 else "warn" if good >= 0.7 else "bad"
    if value <= 0:
        return out
    v = min(max(value, 0.0), 0.9999)
    angle = 2 * math.pi * v
    x = cx + r * math.sin(angle)
    y = cy - r * math.cos(angle)
    large = 1 if v > 0.5 else 0
    out.path = f"M {cx:.2f} {cy - r:.2f} A {r} {r} 0 {large} 1 {x:.2f} {y:.2f}"
    return out
