"""Retrained models in the data directory: versions, the active one, rollback.

    $GRIDBOT_DATA_DIR/nlu-models/
        state.json            {"active": "<version>" | null, "previous": [...], "last_retrain": ISO}
        <version>/            a model directory (nlu/artifact.py), its metadata.json holding
                              the retrain comparison

The model a process loads is the active version if there is one, else the model
shipped in the package (`nlu.api.load_model`). `state.json` is replaced atomically;
its modification stamp is what running processes poll to notice a new active model.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STORE_DIR = "nlu-models"
STATE = "state.json"
MAX_PREVIOUS = 20  # rollback depth kept


class StoreError(RuntimeError):
    """The store is unreadable, or there is nothing to roll back to."""


@dataclass
class StoreState:
    active: str | None = None
    previous: list[str] = field(default_factory=list)  # most recent last
    last_retrain: str | None = None  # ISO time of the last retrain attempt (accepted or not)

    def as_dict(self) -> dict[str, Any]:
        return {"active": self.active, "previous": self.previous, "last_retrain": self.last_retrain}


def store_dir(data_dir: Path) -> Path:
    """Where retrained models live, inside the deployment's data directory."""
    return data_dir / STORE_DIR


def read_state(store: Path) -> StoreState:
    path = store / STATE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return StoreState()
    except (OSError, ValueError) as e:
        raise StoreError(f"{path}: unreadable: {e}") from e
    if not isinstance(raw, dict):
        raise StoreError(f"{path}: expected a JSON object")
    prev = raw.get("previous") or []
    return StoreState(raw.get("active"), [str(v) for v in prev], raw.get("last_retrain"))


def write_state(store: Path, state: StoreState) -> None:
    store.mkdir(parents=True, exist_ok=True)
    tmp = store / (STATE + ".tmp")
    tmp.write_text(json.dumps(state.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, store / STATE)


def active_dir(store: Path) -> Path | None:
    """The active model directory, or None (then the shipped model is used)."""
    try:
        state = read_state(store)
    except StoreError:
        return None
    if state.active is None:
        return None
    path = store / state.active
    return path if (path / "metadata.json").is_file() else None


def stamp(store: Path) -> tuple[int, int] | None:
    """Changes whenever the active model changes (cheap: one stat)."""
    try:
        st = (store / STATE).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def new_version_dir(store: Path, now: datetime | None = None) -> Path:
    """A fresh, empty directory name for a candidate: v<UTC time>[-n]."""
    now = now or datetime.now(UTC)
    base = "v" + now.strftime("%Y%m%dT%H%M%S")
    name, n = base, 1
    while (store / name).exists():
        n += 1
        name = f"{base}-{n}"
    return store / name


def activate(store: Path, version: str) -> StoreState:
    """Make `version` the active model; the one it replaces can be rolled back to."""
    if not (store / version / "metadata.json").is_file():
        raise StoreError(f"{store / version}: not a model directory")
    state = read_state(store)
    if state.active is not None and state.active != version:
        state.previous = (state.previous + [state.active])[-MAX_PREVIOUS:]
    state.active = version
    write_state(store, state)
    return state


def rollback(store: Path) -> StoreState:
    """Restore the model active before the current one (the shipped model if none was)."""
    state = read_state(store)
    if state.active is None:
        raise StoreError("no retrained model is active: the shipped model is already in use")
    state.active = state.previous.pop() if state.previous else None
    write_state(store, state)
    return state


def mark_retrain(store: Path, when: datetime) -> None:
    state = read_state(store)
    state.last_retrain = when.isoformat(timespec="seconds")
    write_state(store, state)
