"""Linear heads scored with numpy only (no scikit-learn, no scipy at inference).

One weight matrix serves every head: columns `0..n_labels-1` are the flat
label softmax (17 `report/<category>` classes and the 5 other intents), the last
column is the emergency logit. Calibration is temperature scaling: softmax(z / T)
and sigmoid(z / T_e), with T fitted on out-of-fold scores at training time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.features import SparseRows


@dataclass(slots=True)
class LinearHeads:
    coef: np.ndarray  # (n_features, n_labels + 1) float32
    intercept: np.ndarray  # (n_labels + 1,) float32
    labels: tuple[str, ...]
    temperature: float = 1.0
    emergency_temperature: float = 1.0

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    def raw_one(self, idx: Sequence[int], val: Sequence[float]) -> np.ndarray:
        """Scores of one document: (n_labels + 1,) float64."""
        if not idx:
            return self.intercept.astype(np.float64)
        v = np.asarray(val, dtype=np.float32)
        return (v @ self.coef[np.asarray(idx, dtype=np.intp)] + self.intercept).astype(np.float64)

    def raw_batch(self, rows: SparseRows) -> np.ndarray:
        """Scores of many documents: (n_rows, n_labels + 1) float64."""
        out = np.zeros((rows.n_rows, self.coef.shape[1]), dtype=np.float64)
        if len(rows.indices):
            contrib = self.coef[rows.indices] * rows.data[:, None]
            starts = rows.indptr[:-1]
            nonempty = starts < rows.indptr[1:]
            out[nonempty] = np.add.reduceat(contrib, starts[nonempty], axis=0)
        return out + self.intercept

    def label_probs(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated softmax over the labels (last axis)."""
        z = raw[..., : self.n_labels] / self.temperature
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def emergency_prob(self, raw: np.ndarray) -> np.ndarray:
        z = raw[..., self.n_labels] / self.emergency_temperature
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
