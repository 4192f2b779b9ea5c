"""The 12345 call-taker's formulas around what a caller said.

A hotline work order reads "市民来电反映：……，要求相关部门尽快处理。": an opening that
names the caller and a reporting verb, and a closing request to the departments. Both
say nothing about the problem, and their words (部门, 处理, 要求) are not in residents'
chat messages, so the classifier sees the text without them (training and inference
alike). Opening words that carry the intent (咨询, 询问, 催办, 表扬, 致谢) are kept.

Works on normalised text (half-width punctuation), so the patterns list both forms.
"""

from __future__ import annotations

import re

_OPENING = re.compile(
    r"^\s*(?:12345\s*转办\s*[:：,，]\s*"
    r"|(?:(?:市民|群众|居民|来电人|来电市民|来电群众|来电者|诉求人|该市民|反映人|投诉人)\s*"
    r"(?:来电|来话|致电)?|来电)\s*(?:(?:反映|反应|称|表示|投诉|求助|诉求|说)\s*[:：,，]?|[:：,，])\s*)"
)
_CLOSING = re.compile(
    r"[,，.。;；]\s*(?:来电人|市民|诉求人|来电市民)?\s*(?:要求|希望|请求|恳请|望|请)\s*"
    r"(?:(?=[^。.!！,，]{0,12}(?:部门|单位|相关|有关|尽快|予以|给予|核实|及时|加强|依法))"
    r"[^。.!！,，]{0,40}|(?<=求)[^。.!！,，]{0,6})"
    r"(?:[,，]\s*(?:并|及时|尽快)*\s*(?:给予|予以)?\s*(?:答复|回复|反馈)[^。.!！,，]{0,10})?"
    r"[。.!！]?\s*$"
)
# Shorter than this after stripping: keep the text as it was (a formula is all there is).
MIN_LEFT = 4


def strip_formulas(text: str) -> str:
    """`text` without the call-taker's opening and closing formulas."""
    core = _CLOSING.sub("", _OPENING.sub("", text, count=1), count=1)
    return core if len(core.strip()) >= MIN_LEFT else text
