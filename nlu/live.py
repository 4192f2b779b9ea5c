"""A model that follows the store's active model while the process runs.

`LiveModel` answers like the `NluModel` it holds. `check()` (one stat of the store's
`state.json`) notices a retrain or a rollback and loads the newly active model —
or the shipped one after a rollback past the first retrain — teaches it the same
place names, and swaps it in; a model that fails to load is logged and the old one
keeps answering. The configuration watcher (`gridbot/config_watch.py`) calls
`check_all()` for every live model of the process every ~15 s.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nlu.pipeline import NluModel, Prediction
from nlu.store import active_dir, stamp

log = logging.getLogger(__name__)
_LIVE: weakref.WeakSet[LiveModel] = weakref.WeakSet()


class LiveModel:
    def __init__(self, store: Path, fallback: Path) -> None:
        from nlu.artifact import load_model_dir

        self.store = store
        self.fallback = fallback  # the shipped model
        self._stamp = stamp(store)
        self.directory = active_dir(store) or fallback
        self.model: NluModel = load_model_dir(self.directory)
        self._places: list[str] = []
        self._lock = threading.Lock()
        _LIVE.add(self)

    # -- the NluModel interface ---------------------------------------------------------
    def predict(self, text: str) -> Prediction:
        return self.model.predict(text)

    def predict_batch(self, texts: Sequence[str]) -> list[Prediction]:
        return self.model.predict_batch(texts)

    def add_places(self, names: Iterable[str]) -> None:
        names = list(names)
        self._places.extend(names)
        self.model.add_places(names)

    def __getattr__(self, name: str) -> Any:  # labels, metadata, tokenizer, …
        return getattr(self.model, name)

    # -- following the store ------------------------------------------------------------
    def check(self) -> bool:
        """Load the active model if it changed since the last check; True if swapped."""
        from nlu.artifact import ModelError, load_model_dir

        with self._lock:
            now = stamp(self.store)
            if now == self._stamp:
                return False
            self._stamp = now
            directory = active_dir(self.store) or self.fallback
            if directory == self.directory:
                return False
            try:
                model = load_model_dir(directory)
            except ModelError:
                log.exception("NLU model %s could not be loaded; keeping %s", directory, self.directory)
                return False
            if self._places:
                model.add_places(self._places)
            self.model, self.directory = model, directory
            log.info("NLU model reloaded: %s", directory)
            return True


def check_all() -> int:
    """Check every live model of this process; the number that were swapped."""
    return sum(1 for m in list(_LIVE) if m.check())
