"""Shared fixtures: a tiny model trained once per session on tests/nlu/fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TINY_TRAIN = FIXTURES / "tiny_train.yml"
TINY_DEV = FIXTURES / "tiny_dev.jsonl"


@pytest.fixture(scope="session")
def tiny_examples():
    from nlu.corpus import load_examples

    return load_examples([TINY_TRAIN])


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_examples) -> Path:
    from nlu.artifact import save_model
    from nlu.train import TrainConfig, train

    out = tmp_path_factory.mktemp("tiny-model")
    model = train(tiny_examples, TrainConfig(seed=0, folds=3), [TINY_TRAIN])
    save_model(model, out)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from nlu.api import load_model

    return load_model(tiny_model_dir)
