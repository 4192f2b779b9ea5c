"""The model artifact: a directory, no pickle.

    metadata.json   labels, thresholds, calibration, training-data sha256, library
                    versions, seed, hyper-parameters, metrics, created_at
    arrays.npz      coef (float16 on disk), intercept, idf — read with allow_pickle=False
    vocab.json      feature → column for words and character n-grams
    jieba_dict.json the reduced jieba prefix dictionary (see nlu/tokenize.py)
    userdict.txt    a copy of the domain user dictionary it was built with
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from nlu.classifier import LinearHeads
from nlu.emergency import EmergencyThresholds
from nlu.features import FeatureSpace
from nlu.pipeline import NluModel
from nlu.tokenize import Tokenizer

FORMAT_VERSION = 1
METADATA = "metadata.json"
ARRAYS = "arrays.npz"
VOCAB = "vocab.json"


class ModelError(RuntimeError):
    """The model directory is missing, incomplete or of another format."""


def save_model(model: NluModel, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    model.tokenizer.save(directory)
    with open(directory / ARRAYS, "wb") as f:
        np.savez_compressed(
            f,
            coef=model.heads.coef.astype(np.float16),
            intercept=model.heads.intercept.astype(np.float32),
            idf=model.features.idf.astype(np.float32),
        )
    with open(directory / VOCAB, "w", encoding="utf-8") as f:
        json.dump(model.features.vocab_json(), f, ensure_ascii=False, separators=(",", ":"))
    meta = dict(model.metadata)
    meta.update(
        format_version=FORMAT_VERSION,
        labels=list(model.heads.labels),
        temperature=model.heads.temperature,
        emergency_temperature=model.heads.emergency_temperature,
        emergency_thresholds=model.emergency_thresholds.as_dict(),
        emoji_mode=model.emoji_mode,
        hmm=model.tokenizer.hmm,
        n_features=model.features.n_features,
    )
    tmp = directory / (METADATA + ".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, directory / METADATA)


def read_metadata(directory: Path) -> dict[str, Any]:
    path = directory / METADATA
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ModelError(f"{directory}: not a model directory (no {METADATA})") from e
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable: {e}") from e
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: format_version {meta.get('format_version')!r}, "
                         f"expected {FORMAT_VERSION}")
    return meta


def load_model_dir(directory: Path) -> NluModel:
    meta = read_metadata(directory)
    try:
        with np.load(directory / ARRAYS, allow_pickle=False) as z:
            coef = z["coef"].astype(np.float32)
            intercept = z["intercept"].astype(np.float32)
            idf = z["idf"].astype(np.float32)
        with open(directory / VOCAB, encoding="utf-8") as f:
            vocab = json.load(f)
        tokenizer = Tokenizer.load(directory, hmm=bool(meta.get("hmm", False)))
    except (OSError, KeyError, ValueError) as e:
        raise ModelError(f"{directory}: incomplete or corrupt model: {e}") from e
    labels = tuple(meta["labels"])
    if coef.shape != (len(idf), len(labels) + 1):
        raise ModelError(f"{directory}: coef shape {coef.shape} does not match "
                         f"{len(idf)} features × {len(labels) + 1} outputs")
    heads = LinearHeads(coef, intercept, labels, float(meta["temperature"]),
                        float(meta["emergency_temperature"]))
    th = EmergencyThresholds(**meta["emergency_thresholds"])
    features = FeatureSpace.from_json(vocab, idf)
    return NluModel(tokenizer, features, heads, th, meta, emoji_mode=meta.get("emoji_mode", "keep"))
