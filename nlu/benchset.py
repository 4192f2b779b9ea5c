"""A realistic input for `gridbot nlu classify`: JSON Lines drawn from the training texts.

`gridbot bench nlu --write-set FILE [--n 20000] [--seed 0] [--unique]` writes it.
What a day of messages looks like, more or less: mostly single messages (the packaged
training texts, shuffled), and some variety —

- two or three messages sent as one (joined with Chinese punctuation), a few long ones
  (six to ten joined, ~150–250 characters);
- an address (road + number, building, unit, room) before or after the text;
- a phone number (mobile or landline) or a licence plate;
- emoji (with skin tones and variation selectors), full-width letters, a traditional form;
- a few malformed lines: not JSON, not UTF-8, no `text`, `text` not a string, an array.

`unique=True` makes every text distinct (each training text is used at most once as it is,
the rest are compositions never repeated), the set to measure on when anything could profit
from repeats. Same n, seed and corpus → the same bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

ROADS = ("人民路", "建设路", "解放大街", "新华街", "五一路", "中山路", "滨江大道", "桃源街",
         "北关村", "锦绣苑小区", "望江苑", "丰收村", "青禾大道", "学府路", "文化巷")
EMOJI = ("😡", "🙏", "👍🏻", "😷", "🚗", "🗑️", "⚠️", "🔥", "😭", "💡", "🌳", "👀", "❤️")
JOINERS = ("，", "。", "；", " ", "！", "，另外", "。还有，", "，同时")
_TRADITIONAL = str.maketrans("这个车门里么没垃圾桶边卖摊区楼电话灯坏处理问题",
                             "這個車門裡麼沒垃圾桶邊賣攤區樓電話燈壞處理問題")
BAD_LINES = (
    b"{not json",
    b"\xff\xfe\xe4\xbd\xa0\xe5\xa5\xbd",
    b'{"id": "x"}',
    b'{"id": "y", "text": 42}',
    b'["text", "\xe4\xbd\xa0\xe5\xa5\xbd"]',
    b'{"id": "z", "text": "\xe4\xbd\xa0\xe5\xa5',
    b"null",
)
BAD_EVERY = 2000  # one malformed line in this many


def _address(rng: random.Random) -> str:
    road = rng.choice(ROADS)
    shape = rng.randrange(4)
    if shape == 0:
        return f"{road}{rng.randint(1, 300)}号"
    if shape == 1:
        building, unit = rng.randint(1, 30), rng.randint(1, 6)
        return f"{road}{building}栋{unit}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
    if shape == 2:
        return f"{road}{'一二三四五六七八九十'[rng.randrange(10)]}号楼"
    return f"{road}{rng.randint(1, 20)}-{rng.randint(1, 6)}-{rng.randint(101, 2404)}"


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.7:
        digits = f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}"
        return rng.choice((digits, f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", f"+86 {digits}"))
    return f"0{rng.randint(10, 999)}-{rng.randint(2000000, 9999999)}"


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    tail = "".join(rng.choice(letters + "0123456789") for _ in range(5))
    province, city = rng.choice("京津沪渝冀豫云辽湘皖鲁苏浙赣鄂"), rng.choice(letters)
    return f"{province}{city}{rng.choice(('', '·', ' '))}{tail}"


def _decorate(rng: random.Random, text: str) -> str:
    kind = rng.randrange(8)
    if kind == 0:
        addr = _address(rng)
        return rng.choice((f"{addr}，{text}", f"{text}（地址：{addr}）", f"地址{addr}：{text}"))
    if kind == 1:
        return rng.choice((f"{text}，联系电话{_phone(rng)}", f"{text} 电话：{_phone(rng)}",
                           f"我是{rng.choice('张王李赵刘陈')}先生{_phone(rng)}，{text}"))
    if kind == 2:
        return f"{text}，车牌{_plate(rng)}"
    if kind == 3:
        emo = "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
        half = len(text) // 2
        return rng.choice((f"{text}{emo}", f"{emo}{text}", f"{text[:half]}{emo}{text[half:]}"))
    if kind == 4:  # full-width letters and digits
        return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}) + "ＯＫ？"
    if kind == 5:
        return f"{text}（{rng.choice(('昨天晚上', '今天早上7点', '每天下午', '12月3日'))}）"
    if kind == 6:  # written in traditional characters
        return text.translate(_TRADITIONAL)
    return f"{text}，麻烦{rng.choice(('尽快', '赶紧', '早点'))}处理一下，谢谢！"


def _compose(rng: random.Random, texts: Sequence[str]) -> str:
    r = rng.random()
    if r < 0.45:  # a decorated single message
        return _decorate(rng, rng.choice(texts))
    parts = [rng.choice(texts) for _ in range(rng.randint(6, 10) if r > 0.92 else rng.randint(2, 3))]
    out = parts[0]
    for p in parts[1:]:
        out += rng.choice(JOINERS) + p
    return _decorate(rng, out) if rng.random() < 0.3 else out


def message_texts(texts: Sequence[str], n: int, seed: int = 0, unique: bool = False) -> list[str]:
    """`n` message texts: ~65 % training texts as they are, the rest composed (see above)."""
    rng = random.Random(seed)
    pool = list(texts)
    rng.shuffle(pool)
    out: list[str] = []
    seen: set[str] = set()
    fresh = iter(pool)
    while len(out) < n:
        if rng.random() < 0.65:
            if unique:
                text = next(fresh, None)
                if text is None:
                    text = _compose(rng, pool)
            else:
                text = rng.choice(pool)
        else:
            text = _compose(rng, pool)
        if unique:
            if text in seen:
                continue
            seen.add(text)
        out.append(text)
    return out


def message_lines(texts: Sequence[str], n: int, seed: int = 0, unique: bool = False) -> list[bytes]:
    """`n` JSON lines (without newline): messages, and one malformed line in `BAD_EVERY`."""
    rng = random.Random(seed + 1)
    n_bad = n // BAD_EVERY
    msgs = message_texts(texts, n - n_bad, seed, unique)
    lines = [json.dumps({"id": f"m{i:06d}", "text": t}, ensure_ascii=False).encode("utf-8")
             for i, t in enumerate(msgs, 1)]
    for k in range(n_bad):
        lines.insert(rng.randrange(1, len(lines)), BAD_LINES[k % len(BAD_LINES)])
    return lines


def write_set(path: Path, n: int = 20000, seed: int = 0, unique: bool = False) -> int:
    """Write the set drawn from the packaged training texts; returns the malformed lines in it."""
    from nlu.api import PACKAGED_TRAIN_DIR
    from nlu.corpus import load_examples

    texts = [e.text for e in load_examples([PACKAGED_TRAIN_DIR])]
    lines = message_lines(texts, n, seed, unique)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return n // BAD_EVERY
