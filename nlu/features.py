"""TF-IDF features over jieba words and character n-grams, in pure Python + numpy.

The same code turns text into features at training and at inference time, so
the two cannot drift apart. Two blocks, each L2-normalised:

- words: jieba tokens (content tokens only);
- chars: character 1..`CHAR_NGRAM_MAX`-grams inside whitespace-separated runs.

Weights are sublinear tf (1 + ln tf) × smoothed idf (ln((1+N)/(1+df)) + 1), as
scikit-learn's `TfidfVectorizer(sublinear_tf=True)`. Unknown features are
dropped. Texts longer than `MAX_FEATURE_CHARS` are cut for features only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from operator import mul
from typing import Any

import numpy as np

CHAR_NGRAM_MAX = 2
MAX_FEATURE_CHARS = 1000
WORD_BLOCK_WEIGHT = 1.0
CHAR_BLOCK_WEIGHT = 1.0


_LATIN = re.compile(r"[a-z]+")
_CODE_BITS = 21  # a code point; an n-gram's code is its code points side by side
_LAST_SPACE = 0x3000  # the highest code point str.isspace() is true for


def char_ngrams(text: str, n_max: int = CHAR_NGRAM_MAX, latin_chars: bool = False) -> list[str]:
    grams: list[str] = []
    if not latin_chars:
        text = _LATIN.sub(" ", text)
    for run in text.split():
        n = len(run)
        for i in range(n):
            for k in range(1, n_max + 1):
                if i + k > n:
                    break
                grams.append(run[i:i + k])
    return grams


@dataclass(slots=True)
class SparseRows:
    """A CSR-like batch: row r owns indices[indptr[r]:indptr[r+1]]."""

    indptr: np.ndarray  # int64, len rows+1
    indices: np.ndarray  # int32
    data: np.ndarray  # float32

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1


@lru_cache(maxsize=1)
def _whitespace() -> np.ndarray:
    """Every code point `str.split()` splits on (none is above U+3000)."""
    return np.array([c for c in range(_LAST_SPACE + 1) if chr(c).isspace()], dtype=np.int64)


class FeatureSpace:
    """Vocabulary (feature → column) and idf weights; words first, then char n-grams."""

    def __init__(
        self,
        words: dict[str, int],
        chars: dict[str, int],
        idf: np.ndarray,
        char_ngram_max: int = CHAR_NGRAM_MAX,
        word_weight: float = WORD_BLOCK_WEIGHT,
        char_weight: float = CHAR_BLOCK_WEIGHT,
        latin_chars: bool = False,
    ) -> None:
        self.latin_chars = latin_chars
        self.words = words
        self.chars = chars
        self.idf = idf.astype(np.float32)
        self._idf: list[float] = self.idf.tolist()
        self.char_ngram_max = char_ngram_max
        self.word_weight = word_weight
        self.char_weight = char_weight
        self._tables: list[tuple[np.ndarray, np.ndarray]] | None = None  # `_gram_tables()`

    @property
    def n_features(self) -> int:
        return len(self.idf)

    @classmethod
    def fit(
        cls,
        docs: Sequence[tuple[Sequence[str], str]],
        min_df_words: int = 1,
        min_df_chars: int = 2,
        char_ngram_max: int = CHAR_NGRAM_MAX,
        word_weight: float = WORD_BLOCK_WEIGHT,
        char_weight: float = CHAR_BLOCK_WEIGHT,
        latin_chars: bool = False,
    ) -> FeatureSpace:
        """Vocabulary and idf from (tokens, normalised text) pairs."""
        wdf: dict[str, int] = {}
        cdf: dict[str, int] = {}
        for tokens, text in docs:
            for w in set(tokens):
                wdf[w] = wdf.get(w, 0) + 1
            for g in set(char_ngrams(text[:MAX_FEATURE_CHARS], char_ngram_max, latin_chars)):
                cdf[g] = cdf.get(g, 0) + 1
        words = {w: i for i, w in enumerate(sorted(w for w, n in wdf.items() if n >= min_df_words))}
        chars_sorted = sorted(g for g, n in cdf.items() if n >= min_df_chars)
        chars = {g: len(words) + i for i, g in enumerate(chars_sorted)}
        n_docs = len(docs)
        df = np.array([wdf[w] for w in words] + [cdf[g] for g in chars_sorted], dtype=np.float64)
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        return cls(words, chars, idf, char_ngram_max, word_weight, char_weight, latin_chars)

    def restrict(self, keep: np.ndarray) -> tuple[FeatureSpace, np.ndarray]:
        """A smaller space with only the columns where `keep` is true; returns the old columns."""
        cols = np.flatnonzero(keep)
        new_index = {int(c): i for i, c in enumerate(cols)}
        words = {w: new_index[j] for w, j in self.words.items() if j in new_index}
        chars = {g: new_index[j] for g, j in self.chars.items() if j in new_index}
        space = FeatureSpace(words, chars, self.idf[cols], self.char_ngram_max,
                             self.word_weight, self.char_weight, self.latin_chars)
        return space, cols

    # -- transform ------------------------------------------------------------
    def word_ids(self, tokens: Sequence[str]) -> list[int]:
        """Known word columns of one document's tokens (with repeats, in order)."""
        return [j for j in map(self.words.get, tokens) if j is not None]

    def ids(self, tokens: Sequence[str], text: str) -> tuple[list[int], list[int]]:
        """Known word columns and known char n-gram columns of one document (with repeats)."""
        w = self.word_ids(tokens)
        grams: list[str] = []
        n_max = self.char_ngram_max
        text = text[:MAX_FEATURE_CHARS]
        if not self.latin_chars and _LATIN.search(text):
            text = _LATIN.sub(" ", text)  # English words count as words (tokens), not letters
        for run in text.split():
            grams.extend(run)
            n = len(run)
            for k in range(2, n_max + 1):
                grams.extend([run[i:i + k] for i in range(n - k + 1)])
        c = [j for j in map(self.chars.get, grams) if j is not None]
        return w, c

    def batch_char_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The char n-gram columns of many documents at once, as `ids()` finds them one by one
        (the same multiset per document, not the same order): (document index, column) arrays.
        Whole-array lookups instead of ~80 dictionary lookups per message."""
        tables = self._gram_tables()
        if tables is None:  # n-grams too long for one integer code: one by one
            per_doc = [self.ids((), t)[1] for t in texts]
            doc = np.repeat(np.arange(len(texts), dtype=np.int64), [len(c) for c in per_doc])
            return doc, np.fromiter(chain.from_iterable(per_doc), dtype=np.int64, count=len(doc))
        cut = [t[:MAX_FEATURE_CHARS] for t in texts]
        if not self.latin_chars:
            cut = [_LATIN.sub(" ", t) if _LATIN.search(t) else t for t in cut]
        joined = " ".join(cut)  # whitespace between documents: no n-gram spans two
        cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        lens = np.fromiter(map(len, cut), dtype=np.int64, count=len(cut))
        doc_of = np.repeat(np.arange(len(cut), dtype=np.int64), lens + 1)[: len(cp)]
        ws = np.isin(cp, _whitespace())  # what str.split() splits runs on
        docs: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        code, valid = cp, ~ws
        for k, (keys, columns) in enumerate(tables, start=1):
            if k > 1:  # the k-gram starting at each position
                if len(cp) < k:
                    break
                code = (code[:-1] << _CODE_BITS) | cp[k - 1:]
                valid = valid[:-1] & ~ws[k - 1:]
            if not len(keys):
                continue
            pos = np.searchsorted(keys, code)
            pos[pos >= len(keys)] = 0
            hit = valid & (keys[pos] == code)
            docs.append(doc_of[: len(code)][hit])
            cols.append(columns[pos[hit]])
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(docs), np.concatenate(cols)

    def _gram_tables(self) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Per n-gram length: (sorted codes, their columns); None if a code would not fit."""
        if self._tables is None:
            if self.char_ngram_max * _CODE_BITS > 63:
                return None
            by_len: list[list[tuple[int, int]]] = [[] for _ in range(self.char_ngram_max)]
            for gram, col in self.chars.items():
                code = 0
                for ch in gram:
                    code = (code << _CODE_BITS) | ord(ch)
                if 1 <= len(gram) <= self.char_ngram_max:
                    by_len[len(gram) - 1].append((code, col))
            self._tables = []
            for pairs in by_len:
                pairs.sort()
                self._tables.append((np.array([c for c, _ in pairs], dtype=np.int64).reshape(-1),
                                     np.array([j for _, j in pairs], dtype=np.int64).reshape(-1)))
        return self._tables

    def weigh(self, doc_ids: Sequence[tuple[list[int], list[int]]]) -> SparseRows:
        """TF-IDF rows from `ids()` output: sublinear tf × idf, each block L2-normalised."""
        n_docs = len(doc_ids)
        blocks = list(chain.from_iterable(doc_ids))
        lens = np.fromiter(map(len, blocks), dtype=np.int64, count=2 * n_docs)
        flat = np.fromiter(chain.from_iterable(blocks), dtype=np.int64, count=int(lens.sum()))
        seg = np.repeat(np.arange(2 * n_docs, dtype=np.int64), lens)  # row * 2 + block
        return self.weigh_flat(seg, flat, n_docs)

    def weigh_flat(self, seg: np.ndarray, flat: np.ndarray, n_docs: int) -> SparseRows:
        """`weigh()` from (row * 2 + block, column) pairs in any order (0: words, 1: chars)."""
        if not len(flat):
            return SparseRows(np.zeros(n_docs + 1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                              np.zeros(0, dtype=np.float32))
        keys, counts = np.unique(seg * self.n_features + flat, return_counts=True)
        seg_u = keys // self.n_features
        col = keys - seg_u * self.n_features
        val = (1.0 + np.log(counts)) * self.idf[col]
        sq = np.bincount(seg_u, weights=val * val, minlength=2 * n_docs)
        block_w = np.tile(np.array([self.word_weight, self.char_weight]), n_docs)
        scale = np.divide(block_w, np.sqrt(sq), out=np.zeros_like(sq), where=sq > 0)
        val = val * scale[seg_u]
        row = seg_u // 2
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        return SparseRows(indptr, col.astype(np.int32), val.astype(np.float32))

    def weigh_one(self, ids: tuple[list[int], list[int]]) -> tuple[list[int], list[float]]:
        """`weigh()` for one document, in plain Python (cheaper than numpy for ~100 values)."""
        idf = self._idf
        idx: list[int] = []
        val: list[float] = []
        for block, weight in ((ids[0], self.word_weight), (ids[1], self.char_weight)):
            if not block:
                continue
            counts = Counter(block)
            if len(counts) == len(block):  # every column once: tf 1 + ln 1 = 1, the idf itself
                vs = list(map(idf.__getitem__, counts))
            else:
                vs = [(1.0 + math.log(c)) * idf[j] for j, c in counts.items()]
            scale = weight / math.sqrt(sum(map(mul, vs, vs)))
            idx.extend(counts)
            val.extend(map(mul, vs, repeat(scale, len(vs))))
        return idx, val

    def transform(self, docs: Iterable[tuple[Sequence[str], str]]) -> SparseRows:
        return self.weigh([self.ids(tokens, text) for tokens, text in docs])

    # -- persistence ------------------------------------------------------------
    def vocab_json(self) -> dict[str, object]:
        return {
            "char_ngram_max": self.char_ngram_max,
            "word_weight": self.word_weight,
            "char_weight": self.char_weight,
            "latin_chars": self.latin_chars,
            "words": self.words,
            "chars": self.chars,
        }

    @classmethod
    def from_json(cls, vocab: dict[str, Any], idf: np.ndarray) -> FeatureSpace:
        return cls(
            vocab["words"],
            vocab["chars"],
            idf,
            int(vocab.get("char_ngram_max", CHAR_NGRAM_MAX)),
            float(vocab.get("word_weight", WORD_BLOCK_WEIGHT)),
            float(vocab.get("char_weight", CHAR_BLOCK_WEIGHT)),
            bool(vocab.get("latin_chars", True)),
        )
