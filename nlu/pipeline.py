"""The NLU pipeline at inference time: normalise → tokenize → features → heads.

`NluModel` holds the loaded components and turns a message into a
`Prediction`. It never imports scikit-learn or scipy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from nlu.classifier import LinearHeads
from nlu.effects import effect_tokens
from nlu.emergency import CueReport, EmergencyThresholds, decide, find_cues
from nlu.entities import Entity, EntityExtractor
from nlu.features import MAX_FEATURE_CHARS, FeatureSpace
from nlu.focus import find_focus
from nlu.formulas import strip_formulas
from nlu.glossary import GLOSSARY, english_tokens
from nlu.normalize import EMOJI_MODE, Normalized, is_contentless, normalize, word_chars
from nlu.tokenize import Tokenizer

REPORT = "report"
CHITCHAT = "chitchat"
OTHER = f"{REPORT}/other"
TOP_K = 3
BATCH_CHUNK = 256
# Confidence returned when a message says nothing (empty, whitespace, only emoji or
# symbols, or no character the model has ever seen): "chitchat", and low enough to ask.
EMPTY_CONFIDENCE = 0.1
# Share of the message's character unigrams the vocabulary must know before we
# trust the classifier at all (binary garbage, other scripts → chitchat).
MIN_KNOWN_CHAR_SHARE = 0.3
# Several problems: the label probabilities mix the main clauses' (this share) with the
# whole message's; a secondary problem is reported when its clause reads as a report
# (P(report) ≥ SECONDARY_MIN_REPORT) whose category holds ≥ SECONDARY_MIN of it.
FOCUS_WEIGHT = 0.5
SECONDARY_MIN = 0.5  # share of P(report) the clause's category needs
SECONDARY_MIN_REPORT = 0.3
# Without a danger cue, an emergency needs the label head to see a report at all.
MIN_REPORT_FOR_EMERGENCY = 0.5
NO_CUES = CueReport((), ())
_LATIN = re.compile(r"[a-z]+")
Ids = tuple[list[int], list[int]]  # known feature columns: words, char n-grams
# whether to trust the features, the danger cues, and the message's segmentation by block
# (its clauses reuse it, `Tokenizer.cut`)
Judged = tuple[bool, CueReport, dict[str, list[str]]]


@dataclass(slots=True)
class Prediction:
    intent: str
    category: str | None
    confidence: float
    emergency: bool
    entities: list[Entity] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)  # top-3 (category, prob)
    intent_confidence: float = 0.0
    emergency_score: float = 0.0
    secondary: list[Secondary] = field(default_factory=list)  # other problems named (nlu/focus.py)

    def as_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "category": self.category,
            "confidence": round(self.confidence, 4),
            "emergency": self.emergency,
            "entities": [e.as_dict() for e in self.entities],
            "ranking": [{"category": c, "confidence": round(p, 4)} for c, p in self.ranking],
            "intent_confidence": round(self.intent_confidence, 4),
            "secondary": [x.as_dict() for x in self.secondary],
        }


@dataclass(frozen=True, slots=True)
class Secondary:
    """Another problem named in a several-problem message (see `nlu/focus.py`)."""

    category: str
    text: str  # the clause, from the original message
    confidence: float
    suggest: str  # "case": offer it as a case of its own; "note": note it on the main case
    start: int = 0  # offsets into the original message
    end: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "text": self.text, "confidence": round(self.confidence, 4),
                "suggest": self.suggest, "start": self.start, "end": self.end}


def feature_text(normalized: str) -> str:
    """What the classifier reads of a normalised message: without the 12345 call-taker's
    formulas (`nlu/formulas.py`), cut to `MAX_FEATURE_CHARS`. Training goes through here too."""
    return strip_formulas(normalized)[:MAX_FEATURE_CHARS]


def analyze(tokenizer: Tokenizer, text: str,
            memo: dict[str, list[str]] | None = None) -> tuple[list[str], CueReport]:
    """Word tokens of a normalised text: jieba words, rule cues, English glossary words,
    experiences (`nlu/effects.py`).

    Training (`nlu.train.prepare`) and inference both go through here.
    """
    cues = find_cues(text)
    words = tokenizer.cut(text, memo)
    return words + cues.tokens() + english_tokens(text) + effect_tokens(text), cues


class NluModel:
    def __init__(
        self,
        tokenizer: Tokenizer,
        features: FeatureSpace,
        heads: LinearHeads,
        emergency_thresholds: EmergencyThresholds,
        metadata: dict[str, Any] | None = None,
        emoji_mode: str = EMOJI_MODE,
    ) -> None:
        self.tokenizer = tokenizer
        self.features = features
        self.heads = heads
        self.emergency_thresholds = emergency_thresholds
        self.metadata = metadata or {}
        self.emoji_mode = emoji_mode
        self.entities = EntityExtractor()
        labels = heads.labels
        self._cat_cols = [i for i, lab in enumerate(labels) if lab.startswith(REPORT + "/")]
        self._categories = [labels[i][len(REPORT) + 1:] for i in self._cat_cols]
        self._other_intents = [(i, lab) for i, lab in enumerate(labels) if "/" not in lab]
        self._other_col = labels.index(OTHER) if OTHER in labels else -1

    # -- set-up ---------------------------------------------------------------
    def add_places(self, names: Iterable[str]) -> None:
        """Gazetteer place names: one token each, and extracted as `place` entities."""
        names = [n for n in names if n and n.strip()]
        self.tokenizer.add_words(names)
        self.entities.add_places(names)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.heads.labels

    # -- prediction ------------------------------------------------------------
    def _analyze(self, norm: Normalized,
                 memo: dict[str, list[str]]) -> tuple[str, list[str], CueReport] | None:
        """What the classifier reads of a message, its tokens and cues; None if it says nothing."""
        text = feature_text(norm.text)
        if is_contentless(text):
            return None
        tokens, cues = analyze(self.tokenizer, text, memo)
        return text, tokens, cues

    def _judge(self, text: str, n_words: int, n_chars: int, cues: CueReport,
               memo: dict[str, list[str]]) -> Judged:
        """Trust the features of a message with this many known word and char columns?"""
        # fast path: ordinary text hits at least one known n-gram per character
        known = n_chars >= len(text) or self._known_enough(text) or bool(cues.active)
        return bool(n_words or n_chars) and known, cues, memo

    def _ids(self, norm: Normalized, memo: dict[str, list[str]] | None = None) -> tuple[Ids, Judged]:
        """Known feature columns of a normalised message, and the judgement on them."""
        memo = {} if memo is None else memo
        doc = self._analyze(norm, memo)
        if doc is None:
            return ([], []), (False, NO_CUES, memo)
        text, tokens, cues = doc
        ids = self.features.ids(tokens, text)
        return ids, self._judge(text, len(ids[0]), len(ids[1]), cues, memo)

    def _known_enough(self, text: str) -> bool:
        """Does the model know enough of this text (characters, or English words) to judge it?"""
        latin = _LATIN.findall(text)
        chars = word_chars(_LATIN.sub(" ", text) if latin else text)
        n = len(chars) + len(latin)
        if not n:
            return False
        known = sum(map(self.features.chars.__contains__, chars))
        known += sum(1 for w in latin if w in self.features.words or w in GLOSSARY)
        return known >= MIN_KNOWN_CHAR_SHARE * n

    def _scores_one(self, ids: Ids) -> tuple[list[float], float]:
        """Calibrated label probabilities and the emergency probability of one message."""
        raw = self.heads.raw_one(*self.features.weigh_one(ids)).tolist()
        n = self.heads.n_labels
        t = self.heads.temperature
        z = [v / t for v in raw[:n]]
        zmax = max(z)
        ez = [math.exp(v - zmax) for v in z]
        total = sum(ez)
        probs = [v / total for v in ez]
        ze = max(-50.0, min(50.0, raw[n] / self.heads.emergency_temperature))
        return probs, 1.0 / (1.0 + math.exp(-ze))

    def predict(self, text: str) -> Prediction:
        """One message; plain-Python decoding (numpy costs more than it saves for one row)."""
        norm = normalize(text, self.emoji_mode)
        ids, judged = self._ids(norm)
        probs, e_score = self._scores_one(ids)
        return self._decode_row(norm, judged, probs, e_score)

    def _clause_probs(self, text: str, memo: dict[str, list[str]]) -> tuple[list[float], bool]:
        """Label probabilities of a piece of normalised text; False if it says nothing known."""
        ids, judged = self._ids(Normalized(text, text), memo)
        return self._scores_one(ids)[0], judged[0]

    def _focus(self, norm: Normalized, probs: list[float],
               memo: dict[str, list[str]]) -> tuple[list[float], list[Secondary]]:
        """Several problems: weigh the main clauses in, and name the others."""
        text = norm.text[:MAX_FEATURE_CHARS]
        focus = find_focus(text)
        if focus is None:
            return probs, []
        main, known = self._clause_probs(focus.main_text(text), memo)
        if known:
            probs = [FOCUS_WEIGHT * a + (1.0 - FOCUS_WEIGHT) * b for a, b in zip(main, probs, strict=True)]
        main_cat = max(self._cat_cols, key=probs.__getitem__)
        out: list[Secondary] = []
        for start, end, suggest, strong in focus.secondary:
            sub, known = self._clause_probs(text[start:end], memo)
            col = max(self._cat_cols, key=sub.__getitem__)
            p_report = sum(sub[i] for i in self._cat_cols)
            # a short clause ("噪音是老问题") may read half as a question: judge the category
            # among the report labels, given that the clause reads as a report at all
            if not known or p_report < SECONDARY_MIN_REPORT or sub[col] < SECONDARY_MIN * p_report:
                continue
            if (suggest == "note" or not strong) and col in (main_cat, self._other_col):
                continue  # the same problem again, or a remark ("物业说在修")
            o_start, o_end = norm.span(start, end)
            out.append(Secondary(self._categories[self._cat_cols.index(col)],
                                 norm.original[o_start:o_end], sub[col], suggest, o_start, o_end))
        return probs, out

    def predict_batch(self, texts: Sequence[str]) -> list[Prediction]:
        if len(texts) > BATCH_CHUNK:  # numpy work stays cache-sized (~15% faster than one block)
            out: list[Prediction] = []
            for i in range(0, len(texts), BATCH_CHUNK):
                out.extend(self._predict_chunk(texts[i:i + BATCH_CHUNK]))
            return out
        return self._predict_chunk(texts)

    def _predict_chunk(self, texts: Sequence[str]) -> list[Prediction]:
        """`predict` for many messages: the same rows as `weigh()` of each message's `ids()`,
        with the char n-grams of the whole chunk looked up at once."""
        n = len(texts)
        norms = [normalize(t, self.emoji_mode) for t in texts]
        memos: list[dict[str, list[str]]] = [{} for _ in texts]
        docs = [self._analyze(norm, memo) for norm, memo in zip(norms, memos, strict=True)]
        words = [self.features.word_ids(d[1]) if d is not None else [] for d in docs]
        char_doc, char_col = self.features.batch_char_ids([d[0] if d is not None else "" for d in docs])
        n_chars = np.bincount(char_doc, minlength=n).tolist()
        judged = [self._judge(d[0], len(w), c, d[2], memo) if d is not None else (False, NO_CUES, memo)
                  for d, w, c, memo in zip(docs, words, n_chars, memos, strict=True)]
        n_words = np.fromiter(map(len, words), dtype=np.int64, count=n)
        seg = np.concatenate([np.repeat(np.arange(n, dtype=np.int64) * 2, n_words), char_doc * 2 + 1])
        flat = np.concatenate([np.fromiter(chain.from_iterable(words), dtype=np.int64,
                                           count=int(n_words.sum())), char_col])
        raw = self.heads.raw_batch(self.features.weigh_flat(seg, flat, n))
        probs = self.heads.label_probs(raw).tolist()
        e_scores = self.heads.emergency_prob(raw).tolist()
        return [self._decode_row(*row) for row in zip(norms, judged, probs, e_scores, strict=True)]

    def _decode_row(self, norm: Normalized, judged: Judged, probs: list[float],
                    e_score: float) -> Prediction:
        secondary: list[Secondary] = []
        has_content, cues, memo = judged
        if has_content:
            probs, secondary = self._focus(norm, probs, memo)
        cat_probs = [probs[i] for i in self._cat_cols]
        top = sorted(range(len(cat_probs)), key=lambda i: (-cat_probs[i], i))[:TOP_K]
        ranking = [(self._categories[i], cat_probs[i]) for i in top]
        entities = self.entities.extract(norm)
        if not has_content:
            return Prediction(CHITCHAT, None, EMPTY_CONFIDENCE, False, entities, ranking,
                              EMPTY_CONFIDENCE, 0.0)
        p_report = sum(cat_probs)
        intent, p_intent = REPORT, p_report
        for i, label in self._other_intents:
            if probs[i] > p_intent:
                intent, p_intent = label, probs[i]
        emergency = decide(e_score, cues, self.emergency_thresholds)
        if emergency and not cues.active and p_report < MIN_REPORT_FOR_EMERGENCY:
            emergency = False  # "有心了", "劳烦了": clearly not a report, no danger word
        if emergency and intent != REPORT:
            intent, p_intent = REPORT, p_report  # a danger report keeps a category
        if intent == REPORT:
            category, confidence = ranking[0]
        else:
            category, confidence = None, p_intent
        return Prediction(intent, category, confidence, emergency, entities, ranking,
                          p_intent, e_score, secondary if intent == REPORT else [])
