"""Word segmentation: a private jieba `Tokenizer` with the city-management dictionary.

Start-up cost is the problem with jieba: building its prefix dictionary from the
350k-word `dict.txt` takes ~0.9 s, loading its marshal cache still ~0.75 s, and
`import jieba` pulls in `pkg_resources` (~0.12 s). So:

- at training time we write a *reduced* dictionary into the model directory:
  every jieba word that occurs in the training text, the `TOP_K` most frequent
  jieba words, and the domain dictionary (`nlu/resources/userdict.txt`) with
  frequencies already resolved. Segmenting with it gives the same words as the
  full dictionary on the training text, and the classifier only knows words it
  saw in training anyway. jieba's original total frequency is kept, so path
  probabilities are jieba's.
- at load time that file (JSON, prefixes included) is read straight into a
  private `jieba.Tokenizer` (no cache file, no temp dir, ~10 ms), and jieba is imported with
  `pkg_resources` blocked (jieba falls back to plain `open`).

Gazetteer place names are added at start-up with `add_words(names)` so that
"五丰菜市场" stays one token.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

TOP_K = 20000  # most frequent jieba words always kept in the reduced dictionary
MAX_WORD_LEN = 8  # longest dictionary word looked for in the training text
USER_MIN_FREQ = 300  # a domain word gets at least this frequency
PLACE_MIN_FREQ = 300
DICT_FILE = "jieba_dict.json"  # jieba prefix dictionary {word or prefix: freq}
USERDICT_FILE = "userdict.txt"

_CONTENT = re.compile(r"[0-9a-z\u3400-\u9fff]")
# jieba's re_han_default: what it segments as one block
_RE_HAN = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)")
_MISSING = object()
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def import_jieba() -> ModuleType:
    """Import jieba quietly and without `pkg_resources` (saves ~0.12 s)."""
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # → ImportError
    try:
        import jieba
    finally:
        if blocked and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    jieba.setLogLevel(logging.WARNING)
    return jieba


def packaged_userdict() -> Path:
    return Path(__file__).resolve().parent / "resources" / USERDICT_FILE


def read_userdict(path: Path) -> list[tuple[str, int | None]]:
    """jieba user-dictionary lines: `word [freq] [tag]`; blank lines and # comments skipped."""
    words: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    for _lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq: int | None = None
        if len(parts) > 1 and parts[1].isdigit():
            freq = int(parts[1])
        word = parts[0].lower()
        if word not in seen:
            seen.add(word)
            words.append((word, freq))
    return words


class Tokenizer:
    """jieba segmentation over a private dictionary; `cut()` returns content tokens.

    With `hmm=False` (the default model setting) `cut()` runs a re-implementation of
    jieba's `cut(text, HMM=False)` (same dictionary, same maximum-probability
    route, same tie-breaking and ASCII merging; `tests/nlu/test_tokenize.py`
    checks token-for-token equality with jieba on the corpus) that is ~3× faster
    because it skips jieba's generator layers and caches log frequencies.
    """

    def __init__(self, freq: dict[str, int], total: int, hmm: bool = False) -> None:
        jieba = import_jieba()
        self._tk: Any = jieba.Tokenizer()
        self._tk.FREQ = freq
        self._tk.total = total
        self._tk.initialized = True
        self.hmm = hmm
        self._lp: dict[str, Any] | None = None  # word → log(freq) - log(total), prefix → None

    # -- building -------------------------------------------------------------
    @classmethod
    def build(
        cls,
        texts: Iterable[str],
        userdict: Path | None = None,
        top_k: int = TOP_K,
        hmm: bool = False,
    ) -> Tokenizer:
        """A reduced dictionary for this corpus (training time; reads jieba's dict.txt)."""
        jieba = import_jieba()
        full: dict[str, int] = {}
        ranked: list[tuple[int, str]] = []
        total = 0
        with open(Path(str(jieba.__file__)).parent / "dict.txt", encoding="utf-8") as f:
            for line in f:
                parts = line.split(" ")
                if len(parts) < 2:
                    continue
                word, n = parts[0], int(parts[1])
                full[word] = n
                total += n
                ranked.append((n, word))
        keep: dict[str, int] = {}
        for text in texts:
            n = len(text)
            for i in range(n):
                for j in range(i + 1, min(n, i + MAX_WORD_LEN) + 1):
                    w = text[i:j]
                    if w in full:
                        keep[w] = full[w]
        ranked.sort(reverse=True)
        for n, w in ranked[:top_k]:
            keep[w] = n
        tok = cls(_with_prefixes(keep), total, hmm=hmm)
        for word, freq in read_userdict(userdict or packaged_userdict()):
            tok.add_word(word, freq, USER_MIN_FREQ)
        return tok

    @classmethod
    def load(cls, directory: Path, hmm: bool = False) -> Tokenizer:
        """Read the prefix dictionary written by `save()` (JSON: ~10 ms, no cache file)."""
        with open(directory / DICT_FILE, encoding="utf-8") as f:
            data = json.load(f)
        return cls(data["freq"], int(data["total"]), hmm=hmm)

    def save(self, directory: Path, userdict: Path | None = None) -> None:
        """Write the prefix dictionary (and a copy of the domain user dictionary)."""
        directory.mkdir(parents=True, exist_ok=True)
        data = {"total": self._tk.total, "freq": dict(sorted(self._tk.FREQ.items()))}
        with open(directory / DICT_FILE, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        src = userdict or packaged_userdict()
        (directory / USERDICT_FILE).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")

    # -- use ------------------------------------------------------------------
    def add_word(self, word: str, freq: int | None = None, min_freq: int = PLACE_MIN_FREQ) -> None:
        word = word.strip().lower()
        if not word or " " in word:
            return
        if freq is None:
            freq = max(self._tk.suggest_freq(word, False), self._tk.FREQ.get(word, 0), min_freq)
        self._tk.add_word(word, freq)
        self._lp = None  # the total changed

    def add_words(self, names: Iterable[str], freq: int | None = None) -> None:
        """Add gazetteer place names (or any words) so they stay one token."""
        for name in names:
            self.add_word(name, freq)

    def has_word(self, word: str) -> bool:
        return self._tk.FREQ.get(word, 0) > 0

    def cut(self, text: str, memo: dict[str, list[str]] | None = None) -> list[str]:
        """Tokens that contain a letter, digit or CJK character (text is normalised).

        `memo` (block → its tokens) lets the pieces of one message reuse the message's own
        segmentation: a block's tokens depend on nothing but the block and the dictionary."""
        if self.hmm:
            return [t for t in self._tk.cut(text, HMM=True) if _CONTENT.search(t)]
        out: list[str] = []
        for blk in _RE_HAN.split(text):
            if not blk:
                continue
            if _RE_HAN.match(blk):
                if memo is None:
                    self._cut_block(blk, out)
                elif (done := memo.get(blk)) is not None:
                    out += done
                else:
                    start = len(out)
                    self._cut_block(blk, out)
                    memo[blk] = out[start:]
            else:  # jieba yields these one character at a time
                out.extend(c for c in blk if _CONTENT.match(c))
        return out

    def jieba_cut(self, text: str) -> list[str]:
        """The same through jieba itself (reference for tests)."""
        return [t for t in self._tk.cut(text, HMM=self.hmm) if _CONTENT.search(t)]

    def _log_probs(self) -> dict[str, float | None]:
        """A word → log(freq) - log(total); a bare prefix → None (built once, then cached)."""
        lp = self._lp
        if lp is None:
            logtotal = math.log(self._tk.total)
            lp = self._lp = {
                w: (math.log(f) - logtotal if f > 0 else None) for w, f in self._tk.FREQ.items()
            }
        return lp

    def _cut_block(self, s: str, out: list[str]) -> None:
        """jieba's maximum-probability route over one block (`_RE_HAN`), then its merging of
        single ASCII letters and digits into one token."""
        get = (self._lp or self._log_probs()).get
        unknown = 0.0 - math.log(self._tk.total)  # jieba: log(1) - logtotal
        missing = _MISSING
        n = len(s)
        score = [0.0] * (n + 1)
        end = list(range(1, n + 1))  # end[k]: where the best word starting at k ends
        for k in range(n - 1, -1, -1):
            p = get(s[k], missing)
            if p is missing:  # not even a prefix: one unknown character
                score[k] = unknown + score[k + 1]
                continue
            best = -math.inf
            j = k + 1
            while True:
                if p is not None:
                    sc = p + score[j]  # type: ignore[operator]
                    if sc >= best:  # ties → the longer word, as jieba
                        best = sc
                        end[k] = j
                if j >= n:
                    break
                j += 1
                p = get(s[k:j], missing)
                if p is missing:
                    break
            score[k] = best if best > -math.inf else unknown + score[k + 1]
        x = 0
        buf = ""
        while x < n:
            y = end[x]
            w = s[x:y]
            if y - x == 1 and w in _ASCII_ALNUM:
                buf += w
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                # a block holds CJK (U+4E00–U+9FD5, all content) and ASCII: only ASCII needs the test
                if w[0] >= "\u4e00" or _CONTENT.search(w):
                    out.append(w)
            x = y
        if buf:
            out.append(buf)

    @property
    def size(self) -> int:
        return sum(1 for n in self._tk.FREQ.values() if n > 0)


def _with_prefixes(words: dict[str, int]) -> dict[str, int]:
    """jieba's prefix dictionary: every prefix of a word is a key (frequency 0 if not a word)."""
    freq = dict(words)
    for w in words:
        for k in range(1, len(w)):
            p = w[:k]
            if p not in freq:
                freq[p] = 0
    return freq
