"""Training (the only module that imports scikit-learn / scipy).

    examples ─► normalise ─► reduced jieba dictionary ─► tokens ─► FeatureSpace
             ─► k-fold out-of-fold scores (each fold fits its own vocabulary)
                  → temperature (calibration), emergency thresholds, CV metrics
             ─► final fit on everything ─► NluModel (numpy only) ─► artifact

Hyper-parameters were chosen by 5-fold cross-validation on the training corpus
(`python -m nlu.selection`); the defaults below are the winners, see README.
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from nlu.classifier import LinearHeads
from nlu.corpus import Example, corpus_files
from nlu.emergency import CueReport, EmergencyThresholds, fit_thresholds
from nlu.features import FeatureSpace, SparseRows
from nlu.normalize import normalize
from nlu.pipeline import MIN_REPORT_FOR_EMERGENCY, REPORT, NluModel, analyze, feature_text
from nlu.tokenize import Tokenizer

MISSING_LABEL_BIAS = -30.0  # intercept of a label with no training example


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    family: str = "sgd"  # logreg | svm | sgd (log-loss SGD: best 5-fold CV, see selection.py)
    C: float = 20.0
    class_weight: str | None = "balanced"
    emergency_C: float = 30.0
    emergency_class_weight: str | None = "balanced"
    min_df_words: int = 1
    min_df_chars: int = 2
    char_ngram_max: int = 2
    word_weight: float = 0.7
    char_weight: float = 1.0
    latin_chars: bool = False  # character n-grams over Latin letters too (else English = words only)
    hmm: bool = False
    emoji_mode: str = "keep"
    folds: int = 5
    max_false_alarm: float = 0.0125  # OOF false-alarm budget (target on new data: ≤ 2%)
    prune_below: float = 0.0  # drop features whose largest |coef| is below this


def label_set() -> tuple[str, ...]:
    from dispatch.domain.taxonomy import load_taxonomy

    tax = load_taxonomy()
    return tuple(f"{REPORT}/{c}" for c in tax.category_ids) + tuple(
        i for i in tax.intents if i != REPORT
    )


@dataclass
class Prepared:
    texts: list[str]  # normalised, without the hotline formulas, cut (`feature_text`)
    tokens: list[list[str]]
    y: np.ndarray  # label index
    e: np.ndarray  # emergency 0/1
    tokenizer: Tokenizer
    labels: tuple[str, ...]
    cues: list[CueReport]
    docs: list[tuple[list[str], str]] = field(default_factory=list)


def prepare(examples: Sequence[Example], cfg: TrainConfig) -> Prepared:
    labels = label_set()
    index = {lab: i for i, lab in enumerate(labels)}
    texts = [feature_text(normalize(ex.text, cfg.emoji_mode).text) for ex in examples]
    tokenizer = Tokenizer.build(texts, hmm=cfg.hmm)
    analyzed = [analyze(tokenizer, t) for t in texts]
    tokens = [a[0] for a in analyzed]
    cues = [a[1] for a in analyzed]
    y = np.array([index[ex.label] for ex in examples], dtype=np.int64)
    e = np.array([1 if ex.emergency else 0 for ex in examples], dtype=np.int64)
    p = Prepared(texts, tokens, y, e, tokenizer, labels, cues)
    p.docs = list(zip(tokens, texts, strict=True))
    return p


def _csr(rows: SparseRows, n_features: int) -> Any:
    from scipy.sparse import csr_matrix

    return csr_matrix((rows.data, rows.indices, rows.indptr), shape=(rows.n_rows, n_features))


def _fit_labels(X: Any, y: np.ndarray, n_labels: int, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """(n_features, n_labels) coefficients and intercepts; absent labels get a large negative bias."""
    present = np.unique(y)
    coef = np.zeros((X.shape[1], n_labels), dtype=np.float64)
    intercept = np.full(n_labels, MISSING_LABEL_BIAS, dtype=np.float64)
    if len(present) == 1:
        intercept[present[0]] = 0.0
        return coef, intercept
    if cfg.family == "logreg":
        from sklearn.linear_model import LogisticRegression

        clf: Any = LogisticRegression(C=cfg.C, max_iter=2000, class_weight=cfg.class_weight,
                                      random_state=cfg.seed)
    elif cfg.family == "svm":
        from sklearn.svm import LinearSVC

        clf = LinearSVC(C=cfg.C, class_weight=cfg.class_weight, random_state=cfg.seed)
    elif cfg.family == "sgd":
        from sklearn.linear_model import SGDClassifier

        clf = SGDClassifier(loss="log_loss", alpha=1.0 / (cfg.C * X.shape[0]), max_iter=50,
                            tol=None, class_weight=cfg.class_weight, random_state=cfg.seed)
    else:
        raise ValueError(f"unknown model family {cfg.family!r}")
    clf.fit(X, y)
    cls = clf.classes_
    w = clf.coef_
    b = clf.intercept_
    if len(cls) == 2 and w.shape[0] == 1:  # binary: sklearn keeps one row
        w = np.vstack([-w[0] / 2, w[0] / 2])
        b = np.array([-b[0] / 2, b[0] / 2])
    coef[:, cls] = w.T
    intercept[cls] = b
    return coef, intercept


def _fit_emergency(X: Any, e: np.ndarray, cfg: TrainConfig) -> tuple[np.ndarray, float]:
    if e.min() == e.max():
        return np.zeros(X.shape[1]), (10.0 if e[0] else -10.0)
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=cfg.emergency_C, max_iter=2000, class_weight=cfg.emergency_class_weight,
                             random_state=cfg.seed)
    clf.fit(X, e)
    return clf.coef_[0], float(clf.intercept_[0])


def fit_heads(docs: Sequence[tuple[list[str], str]], y: np.ndarray, e: np.ndarray,
              labels: Sequence[str], cfg: TrainConfig) -> tuple[FeatureSpace, np.ndarray, np.ndarray]:
    space = FeatureSpace.fit(docs, cfg.min_df_words, cfg.min_df_chars, cfg.char_ngram_max,
                             cfg.word_weight, cfg.char_weight, cfg.latin_chars)
    X = _csr(space.transform(docs), space.n_features)
    coef, intercept = _fit_labels(X, y, len(labels), cfg)
    ecoef, eint = _fit_emergency(X, e, cfg)
    W = np.hstack([coef, ecoef[:, None]])
    b = np.append(intercept, eint)
    return space, W, b


def stratified_folds(y: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """Fold id per example, stratified by label, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    offset = 0
    for lab in np.unique(y):
        idx = np.flatnonzero(y == lab)
        rng.shuffle(idx)
        fold[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return [np.flatnonzero(fold == f) for f in range(k)]


def out_of_fold(p: Prepared, cfg: TrainConfig) -> np.ndarray:
    """Raw scores (n, n_labels + 1) of every example from a model that never saw it."""
    raw = np.zeros((len(p.y), len(p.labels) + 1))
    for test in stratified_folds(p.y, cfg.folds, cfg.seed):
        mask = np.ones(len(p.y), dtype=bool)
        mask[test] = False
        train_docs = [p.docs[i] for i in np.flatnonzero(mask)]
        space, W, b = fit_heads(train_docs, p.y[mask], p.e[mask], p.labels, cfg)
        heads = LinearHeads(W.astype(np.float32), b.astype(np.float32), p.labels)
        raw[test] = heads.raw_batch(space.transform([p.docs[i] for i in test]))
    return raw


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of softmax(logits / T)."""
    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.9, best * 1.1, 41)
    return float(min(fine, key=nll))


def corpus_sha256(paths: Sequence[Path]) -> tuple[str, list[dict[str, str]]]:
    h = hashlib.sha256()
    files = []
    for f in corpus_files(paths):
        data = f.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        files.append({"file": f.name, "sha256": digest})
        h.update(f.name.encode() + b"\0" + data)
    return h.hexdigest(), files


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("numpy", "scikit-learn", "scipy", "jieba", "opencc-python-reimplemented"):
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def oof_summary(raw: np.ndarray, p: Prepared, heads: LinearHeads, th: EmergencyThresholds,
                cues: list[Any]) -> dict[str, float]:
    """Cross-validated label metrics from out-of-fold scores (no entity/rule decoding)."""
    from nlu.emergency import decide

    probs = heads.label_probs(raw)
    pred = probs.argmax(axis=1)
    cat_cols = [i for i, lab in enumerate(p.labels) if lab.startswith(REPORT + "/")]
    f1s = []
    for c in cat_cols:
        tp = int(((pred == c) & (p.y == c)).sum())
        fp = int(((pred == c) & (p.y != c)).sum())
        fn = int(((pred != c) & (p.y == c)).sum())
        if tp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    is_rep = np.isin(p.y, cat_cols)
    pred_rep = np.isin(pred, cat_cols)
    intent_ok = np.where(is_rep, pred_rep, pred == p.y)
    eprob = heads.emergency_prob(raw)
    p_report = probs[:, cat_cols].sum(axis=1)
    eflag = np.array([decide(float(s), c, th) and (bool(c.active) or pr >= MIN_REPORT_FOR_EMERGENCY)
                      for s, c, pr in zip(eprob, cues, p_report, strict=True)])
    pos, neg = p.e == 1, p.e == 0
    return {
        "cv_category_macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "cv_intent_accuracy": float(intent_ok.mean()),
        "cv_label_accuracy": float((pred == p.y).mean()),
        "cv_emergency_recall": float(eflag[pos].mean()) if pos.any() else float("nan"),
        "cv_emergency_false_alarm": float(eflag[neg].mean()) if neg.any() else float("nan"),
    }


def train(
    examples: Sequence[Example],
    cfg: TrainConfig = TrainConfig(),
    data_paths: Sequence[Path] = (),
    log: Callable[[str], None] = lambda s: None,
) -> NluModel:
    """Fit a model on `examples`; out-of-fold scores set calibration and thresholds."""
    if not examples:
        raise ValueError("no training examples")
    t0 = time.perf_counter()
    p = prepare(examples, cfg)
    log(f"prepared {len(examples)} examples, dictionary {p.tokenizer.size} words "
        f"({time.perf_counter() - t0:.1f}s)")
    cues = p.cues
    folds = min(cfg.folds, int(np.bincount(p.y).max()))
    metrics: dict[str, float] = {}
    temperature = 1.0
    th = EmergencyThresholds()
    if folds >= 2 and len(examples) >= 4 * folds:
        cfg_cv = replace(cfg, folds=folds)
        raw = out_of_fold(p, cfg_cv)
        temperature = fit_temperature(raw[:, : len(p.labels)], p.y)
        heads_cv = LinearHeads(np.zeros((1, 1)), np.zeros(1), p.labels, temperature)
        eprob = heads_cv.emergency_prob(raw)
        if p.e.any() and not p.e.all():
            th = fit_thresholds([float(s) for s in eprob], cues, [bool(v) for v in p.e],
                                cfg.max_false_alarm)
        metrics = oof_summary(raw, p, heads_cv, th, cues)
        log(f"{folds}-fold out-of-fold: T={temperature:.3f} thresholds={th.as_dict()} "
            f"{ {k: round(v, 4) for k, v in metrics.items()} } ({time.perf_counter() - t0:.1f}s)")
    space, W, b = fit_heads(p.docs, p.y, p.e, p.labels, cfg)
    if cfg.prune_below > 0:
        space, cols = space.restrict(np.abs(W).max(axis=1) >= cfg.prune_below)
        W = W[cols]
    heads = LinearHeads(W.astype(np.float32), b.astype(np.float32), p.labels, temperature)
    data_hash, files = corpus_sha256(data_paths) if data_paths else ("", [])
    meta: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": list(p.labels),
        "training_data": {"sha256": data_hash, "files": files, "n_examples": len(examples),
                          "n_emergency": int(p.e.sum())},
        "seed": cfg.seed,
        "config": asdict(cfg),
        "library_versions": library_versions(),
        "metrics": {"cv": metrics},
        "training_seconds": round(time.perf_counter() - t0, 2),
    }
    log(f"final fit: {space.n_features} features ({time.perf_counter() - t0:.1f}s)")
    return NluModel(p.tokenizer, space, heads, th, meta, emoji_mode=cfg.emoji_mode)
