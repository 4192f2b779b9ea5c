"""The demo county 青禾县: grids, units, people and an example policy."""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
