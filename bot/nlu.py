"""The classifier the bot uses: the packaged NLU model, taught the county's place names."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from dispatch.service.registry import Registry

log = logging.getLogger(__name__)


def ask_threshold() -> float:
    from nlu.api import ASK_THRESHOLD

    return float(ASK_THRESHOLD)


def load_classifier(registry: Registry, data_dir: Path, model_dir: Path | None = None) -> Any:
    """`model_dir` fixed, or else the data directory's active retrained model (followed while
    the process runs), or else the shipped one."""
    from nlu.api import load_live_model

    model = load_live_model(data_dir, model_dir)
    model.add_places(registry.gazetteer.all_names())
    return model
