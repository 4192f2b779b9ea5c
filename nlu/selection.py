"""Model selection by k-fold cross-validation on the TRAINING corpus only.

    python -m nlu.selection [--data nlu/data/train] [--only NAME ...]

Prints, for each candidate configuration, out-of-fold category macro-F1, intent
accuracy, label accuracy, log-loss after temperature scaling, emergency recall /
false-alarm rate (thresholds fitted on the same out-of-fold scores, so slightly
optimistic) and the wall time. The dev set is never read here.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from nlu.classifier import LinearHeads
from nlu.corpus import load_examples
from nlu.emergency import find_cues, fit_thresholds
from nlu.train import TrainConfig, fit_temperature, oof_summary, out_of_fold, prepare

BASE = TrainConfig()
# Round 1 (char 1-3 base, no cue features) picked: words + chars over either alone,
# char 1-2 over 1-3 / 1-4, min_df 2 over 1, no HMM, emoji kept; see README.
ROUND1: dict[str, TrainConfig] = {
    "logreg C=5": replace(BASE, C=5.0, char_ngram_max=3),
    "logreg C=20": replace(BASE, C=20.0, char_ngram_max=3),
    "logreg C=50": replace(BASE, C=50.0, char_ngram_max=3),
    "logreg C=20 unweighted": replace(BASE, C=20.0, class_weight=None, char_ngram_max=3),
    "svm C=0.5": replace(BASE, family="svm", C=0.5, char_ngram_max=3),
    "svm C=2": replace(BASE, family="svm", C=2.0, char_ngram_max=3),
    "sgd C=20": replace(BASE, family="sgd", C=20.0, char_ngram_max=3),
    "chars only": replace(BASE, word_weight=0.0, char_ngram_max=3),
    "words only": replace(BASE, char_weight=0.0, char_ngram_max=3),
    "char 1-2": replace(BASE, char_ngram_max=2),
    "char 1-4": replace(BASE, char_ngram_max=4),
    "char min_df 1": replace(BASE, min_df_chars=1, char_ngram_max=3),
    "jieba HMM": replace(BASE, hmm=True, char_ngram_max=3),
    "emoji drop": replace(BASE, emoji_mode="drop", char_ngram_max=3),
    "emoji marker": replace(BASE, emoji_mode="marker", char_ngram_max=3),
    "words x0.7": replace(BASE, word_weight=0.7, char_ngram_max=3),
}
# Round 2: char 1-2 base, rule cues as features.
ROUND2: dict[str, TrainConfig] = {
    "r2 base": BASE,
    "r2 logreg C=50": replace(BASE, C=50.0),
    "r2 logreg C=10": replace(BASE, C=10.0),
    "r2 svm C=0.5": replace(BASE, family="svm", C=0.5),
    "r2 sgd C=20": replace(BASE, family="sgd", C=20.0),
    "r2 words x0.7": replace(BASE, word_weight=0.7),
    "r2 words x1.4": replace(BASE, word_weight=1.4),
    "r2 char min_df 3": replace(BASE, min_df_chars=3),
    "r2 emergency unweighted": replace(BASE, emergency_class_weight=None),
    "r2 emergency C=3": replace(BASE, emergency_C=3.0),
    "r2 emergency C=30": replace(BASE, emergency_C=30.0),
}
# Round 3: combinations of the round-2 winners.
ROUND3: dict[str, TrainConfig] = {
    "r3 sgd C=20 w0.7": replace(BASE, family="sgd", C=20.0, word_weight=0.7),
    "r3 sgd C=50 w0.7": replace(BASE, family="sgd", C=50.0, word_weight=0.7),
    "r3 sgd C=20 w0.5": replace(BASE, family="sgd", C=20.0, word_weight=0.5),
    "r3 logreg C=20 w0.7 seed1": replace(BASE, word_weight=0.7, seed=1),
    "r3 sgd C=20 w0.7 seed1": replace(BASE, family="sgd", C=20.0, word_weight=0.7, seed=1),
}
# Round 4 (after adding the English glossary): Latin letters as character n-grams or not.
ROUND4: dict[str, TrainConfig] = {
    "r4 latin chars off": BASE,
    "r4 latin chars on": replace(BASE, latin_chars=True),
}
ROUNDS = {1: ROUND1, 2: ROUND2, 3: ROUND3, 4: ROUND4}
CANDIDATES = {**ROUND1, **ROUND2, **ROUND3, **ROUND4}


def score(examples: list, cfg: TrainConfig) -> dict[str, float]:
    t0 = time.perf_counter()
    p = prepare(examples, cfg)
    raw = out_of_fold(p, cfg)
    n_labels = len(p.labels)
    temperature = fit_temperature(raw[:, :n_labels], p.y)
    heads = LinearHeads(np.zeros((1, 1)), np.zeros(1), p.labels, temperature)
    probs = heads.label_probs(raw)
    logloss = float(-np.log(np.clip(probs[np.arange(len(p.y)), p.y], 1e-12, 1)).mean())
    cues = [find_cues(t) for t in p.texts]
    th = fit_thresholds([float(s) for s in heads.emergency_prob(raw)], cues,
                        [bool(v) for v in p.e], cfg.max_false_alarm)
    m = oof_summary(raw, p, heads, th, cues)
    m.update(logloss=logloss, temperature=temperature, seconds=time.perf_counter() - t0)
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append")
    ap.add_argument("--only", action="append", help="candidate names to run")
    ap.add_argument("--round", type=int, default=2)
    args = ap.parse_args()
    examples = load_examples(args.data or [Path(__file__).parent / "data" / "train"])
    print(f"{len(examples)} training examples, 5-fold CV")
    print(f"{'candidate':<24}{'macroF1':>8}{'intent':>8}{'label':>8}{'logloss':>8}{'T':>6}"
          f"{'e-rec':>7}{'e-FA':>7}{'sec':>6}", flush=True)
    for name, cfg in ROUNDS[args.round].items():
        if args.only and name not in args.only:
            continue
        m = score(examples, cfg)
        print(f"{name:<24}{m['cv_category_macro_f1']:8.4f}{m['cv_intent_accuracy']:8.4f}"
              f"{m['cv_label_accuracy']:8.4f}{m['logloss']:8.4f}{m['temperature']:6.2f}"
              f"{m['cv_emergency_recall']:7.3f}{m['cv_emergency_false_alarm']:7.3f}"
              f"{m['seconds']:6.1f}", flush=True)


if __name__ == "__main__":
    main()
