"""Learning from corrections, behind a gate.

Every category a resident or dispatcher corrects is a labelled example. `retrain()`:

1. splits the corrections by a hash of their text into a training part and a
   held-back slice (`HELD_SHARE`, ~20 %; the same text always lands on the same side);
2. trains a candidate on the corpus plus the training part (the usual training:
   out-of-fold calibration and thresholds, then the final fit);
3. scores the running model and the candidate on the dev set (category macro-F1,
   emergency recall) and on the held-back slice (label accuracy);
4. writes the candidate into the store (`nlu/store.py`) with the comparison in its
   `metadata.json`, and activates it only when it is not worse on either set
   (beyond `tolerance`, default `TOLERANCE`).

A poisoned batch — texts that read like one category labelled as another — makes
the candidate learn the wrong labels: it does better on its own held-back slice but
worse on the dev set, and is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nlu.corpus import Example, load_examples
from nlu.store import activate, mark_retrain, new_version_dir

HELD_SHARE = 0.2
# Slack for "not worse": a clean batch of a few dozen corrections moves dev macro-F1 by
# about ±0.003 just by changing the vocabulary; a poisoned one drops it by far more.
TOLERANCE = 0.005


@dataclass
class RetrainResult:
    accepted: bool
    version: str | None  # the candidate's directory name in the store (None: nothing trained)
    reasons: list[str]  # why it was refused (empty when accepted)
    comparison: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        lines = []
        for name, sets in self.comparison.get("sets", {}).items():
            for metric, v in sets.items():
                cur, cand = v["current"], v["candidate"]
                lines.append(f"{name:<10}{metric:<22}current {_fmt(cur)}  candidate {_fmt(cand)}")
        verdict = "ACCEPTED: the candidate is now active" if self.accepted else (
            "REFUSED: " + "; ".join(self.reasons))
        return "\n".join(lines + [verdict])


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.4f}"


def held_back(text: str, share: float = HELD_SHARE) -> bool:
    """Deterministic: the same correction text is always on the same side."""
    h = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    return (h % 10_000) < share * 10_000


def split_corrections(corrections: Sequence[Example], share: float = HELD_SHARE
                      ) -> tuple[list[Example], list[Example]]:
    train = [c for c in corrections if not held_back(c.text, share)]
    held = [c for c in corrections if held_back(c.text, share)]
    if not held and len(train) >= 2:  # a small batch still gets a slice to check
        held, train = train[-1:], train[:-1]
    return train, held


def _scores(model: Any, dev: Sequence[Example], held: Sequence[Example],
            categories: Sequence[str]) -> dict[str, dict[str, float | None]]:
    from nlu.evaluate import evaluate

    out: dict[str, dict[str, float | None]] = {}
    if dev:
        r = evaluate(dev, model.predict_batch([e.text for e in dev]), categories)
        out["dev"] = {"category_macro_f1": r["category_macro_f1"],
                      "emergency_recall": r["emergency"]["recall"]}
    if held:
        r = evaluate(held, model.predict_batch([e.text for e in held]), categories)
        out["held_back"] = {"label_accuracy": r["label_accuracy"]}
    return out


def compare(current: dict[str, dict[str, float | None]], candidate: dict[str, dict[str, float | None]],
            tolerance: float) -> tuple[dict[str, dict[str, dict[str, float | None]]], list[str]]:
    """Side by side, and the reasons the candidate is worse (empty: not worse)."""
    sets: dict[str, dict[str, dict[str, float | None]]] = {}
    reasons: list[str] = []
    for name, metrics in current.items():
        for metric, cur in metrics.items():
            cand = candidate[name][metric]
            sets.setdefault(name, {})[metric] = {"current": cur, "candidate": cand}
            if cur is not None and cand is not None and cand < cur - tolerance:
                reasons.append(f"{name} {metric} {cand:.4f} < current {cur:.4f}")
    return sets, reasons


def retrain(
    store: Path,
    corrections: Sequence[Example],
    *,
    train_paths: Sequence[Path],
    dev_paths: Sequence[Path],
    current: Any,
    current_name: str,
    cfg: Any = None,
    tolerance: float = TOLERANCE,
    held_share: float = HELD_SHARE,
    now: datetime | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> RetrainResult:
    """Train a candidate on the corpus + corrections; activate it only if not worse."""
    from dispatch.domain.taxonomy import load_taxonomy
    from nlu.artifact import load_model_dir, save_model
    from nlu.train import TrainConfig, train

    now = now or datetime.now(UTC)
    mark_retrain(store, now)
    if not corrections:
        return RetrainResult(False, None, ["no corrections to learn from"])
    categories = load_taxonomy().category_ids
    fit_part, held = split_corrections(corrections, held_share)
    corpus = load_examples(train_paths)
    dev = load_examples(dev_paths) if dev_paths else []
    log(f"corrections: {len(corrections)} ({len(fit_part)} to train on, {len(held)} held back); "
        f"corpus {len(corpus)}; dev {len(dev)}")
    candidate = train(list(corpus) + fit_part, cfg or TrainConfig(), list(train_paths), log=log)
    out = new_version_dir(store, now)
    save_model(candidate, out)
    candidate = load_model_dir(out)  # scored exactly as it will run (float16 weights)
    cur_scores = _scores(current, dev, held, categories)
    cand_scores = _scores(candidate, dev, held, categories)
    sets, reasons = compare(cur_scores, cand_scores, tolerance)
    accepted = not reasons
    comparison = {
        "at": now.isoformat(timespec="seconds"),
        "current": current_name,
        "corrections": len(corrections),
        "trained_on": len(fit_part),
        "held_back": len(held),
        "dev": [str(p) for p in dev_paths],
        "tolerance": tolerance,
        "sets": sets,
        "accepted": accepted,
        "reasons": reasons,
    }
    candidate.metadata["retrain"] = comparison
    save_model(candidate, out)
    if accepted:
        activate(store, out.name)
    return RetrainResult(accepted, out.name, reasons, comparison)
