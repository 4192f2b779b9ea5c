"""The main problem of several: which clause the person asks about.

"垃圾桶满了先不说，主要是消防通道又被堵了，另外路灯也坏了" names three problems.
The message is cut into clauses (at ，。；！？ and line breaks) and each clause gets a
role from cue words:

- `focus`: the clause the person asks about — "主要是…", "重点…", "今天要说的是…",
  "这次…", "最要紧的是…", "关键是…", "就说…";
- `dismissed`: a problem mentioned and set aside — "…先不说", "…是老问题了",
  "…就不提了", "…已经报过", "…物业在处理", "…也就算了";
- `extra`: a problem added on — "另外…", "顺带…", "顺便…", "此外…", and the
  second item of a list ("二是…", "第二…", "其次…"); "还有…" / "同时…" only when the
  clause reads as another category (they often go on about the same problem);
- plain: no cue (it inherits the role of the clause before it, so
  "主要是楼下的井盖没了，晚上看不见" stays one focus; a request such as
  "要求相关部门尽快处理" stays plain and passes the role on).

`find_focus()` returns None for a message without any of these cues (the usual
single-problem report: nothing changes). Otherwise the main text is the focus
clauses (or, without a focus cue, every clause that is neither dismissed nor
extra), and the dismissed / extra clauses are the secondary problems:

- extra → `suggest = "case"`: the person asks for it to be handled too, and its
  category usually belongs to another unit, so a note on the main case would
  reach the wrong unit and never be tracked; the channel offers it as a case of
  its own (to be confirmed by the person).
- dismissed → `suggest = "note"`: the person says it is not what they ask about
  (often it was reported before and is an open case already); it is kept as a
  note on the main case, never filed on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.regex import compile_with_lookahead

FOCUS = "focus"
DISMISSED = "dismissed"
EXTRA = "extra"
MAYBE_EXTRA = "maybe_extra"

_FOCUS_START_P = (
    r"(?:但是?|可是|不过|而且)?(?:我|今天|这次|这回|现在)?(?:主要|重点|最主要|最想|最要紧|最急|最头疼|最受不了|关键|"
    r"真正|我要反映|我想反映|要反映|今天要说|今天想说|今天说|这次要说|这次主要|这回要说|这回主要|"
    r"现在要说|现在剩下|这次想|这回想|就说|就是|说重点|这才是)"
)
_FOCUS_ANYWHERE_P = (
    r"主要是|主要想|主要说|主要反映|重点是|重点说|重点反映|今天要说|今天要反映|这次要说|这回要说|要说的是|"
    r"这才是我要说|最要紧的是|关键是|最想解决"
)
_DISMISSED_P = (
    r"先不说|先不提|不说了|不提了|就不提|就不说|我不管了|我不说了|也不想说|先放一边|先放着|就算了|也就算了|"
    r"老问题|是一回事|是小事|小事一桩|都是小事|我也理解|我能忍|我也能忍|我还能忍|我忍了|已经报过|报过了|"
    r"反映过|说过了|已经说过|已经(?:跟[^，,。]{0,6})?(?:说|报|反映|打电话)|有人报了|有人反映了|"
    r"另外报|另行反映|(?:说|已经|正|物业|环卫|城管|社区)在(?:处理|修)|在处理了|在修了|处理了|的事好了|"
    r"管过了|来过了|已经好了|修好了|已经通了|"
    r"没办法|会处理|说明天|都能忍|都能等|都好说"
)
_EXTRA_P = (
    r"(?:另外|另(?:$|[：:、，,；;])|顺带|顺便|还有就是|此外|再就是|二是|三是|"
    r"第[二三](?![天次回遍趟年个])|其次|再者)"
)
# "还有…" / "同时…" often just go on about the same problem ("…装修垃圾，还有旧马桶"):
# a clause they start is an extra problem only if it reads as another category.
_WEAK_EXTRA_P = r"(?:还有(?![人个])|同时|再有)"
# "…，要求相关部门尽快处理": a request about what came before, not a problem of its own
_REQUEST = compile_with_lookahead(r"(?:要求|请求|请|希望|麻烦|恳请|建议|盼|望)")
_FOCUS_START = compile_with_lookahead(_FOCUS_START_P)
_FOCUS_ANYWHERE = compile_with_lookahead(_FOCUS_ANYWHERE_P)
_DISMISSED = compile_with_lookahead(_DISMISSED_P)
_EXTRA = compile_with_lookahead(_EXTRA_P)
_WEAK_EXTRA = compile_with_lookahead(_WEAK_EXTRA_P)
# One scan for any cue first: most messages have none and skip the clause work.
_ANY_CUE = compile_with_lookahead(
    "|".join((_FOCUS_START_P, _FOCUS_ANYWHERE_P, _DISMISSED_P, _EXTRA_P, _WEAK_EXTRA_P)))
_CLAUSE = re.compile(r"[^，,。.；;！!？?\n]+")
_MAX_CLAUSES = 12  # longer texts are narratives, not a list of problems
_MIN_SECONDARY_CHARS = 4  # "另外" alone is no problem


@dataclass(frozen=True, slots=True)
class Clause:
    start: int
    end: int
    role: str  # focus / dismissed / extra / "" (no cue)


@dataclass(frozen=True, slots=True)
class Focus:
    main: tuple[tuple[int, int], ...]  # spans of the main problem
    # (start, end, "case" | "note", strong): a weak extra ("还有…") counts only as another category
    secondary: tuple[tuple[int, int, str, bool], ...]

    def main_text(self, text: str) -> str:
        return "，".join(text[s:e] for s, e in self.main)


def _role(clause: str) -> str:
    if _EXTRA.match(clause):
        return EXTRA
    if _WEAK_EXTRA.match(clause):
        return MAYBE_EXTRA
    if _FOCUS_START.match(clause) or _FOCUS_ANYWHERE.search(clause):
        return FOCUS
    if _DISMISSED.search(clause):
        return DISMISSED
    return ""


def clauses(text: str) -> list[Clause]:
    """Clauses with their cue role; a plain clause continues the role of the one before."""
    out: list[Clause] = []
    prev = ""
    for m in _CLAUSE.finditer(text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        if s >= e:
            continue
        role = _role(text[s:e])
        if not role and _REQUEST.match(text, s):
            out.append(Clause(s, e, ""))
            continue  # the role before it goes on after it
        if not role:
            # "…就不提了" closes its problem; what follows without a cue is the point
            role = "" if prev == DISMISSED else prev
        out.append(Clause(s, e, role))
        prev = role
    return out


def find_focus(text: str) -> Focus | None:
    """Main and secondary spans of a several-problem message, or None (one problem)."""
    if _ANY_CUE.search(text) is None:
        return None
    parts = clauses(text)
    if len(parts) < 2 or len(parts) > _MAX_CLAUSES or not any(c.role for c in parts):
        return None
    roles = {c.role for c in parts}
    if FOCUS in roles:
        main = [c for c in parts if c.role == FOCUS]
    else:
        main = [c for c in parts if not c.role]
    secondary = [c for c in parts if c.role in (DISMISSED, EXTRA, MAYBE_EXTRA)]
    if not main or not secondary:
        return None
    return Focus(
        tuple((c.start, c.end) for c in main),
        tuple((c.start, c.end, "note" if c.role == DISMISSED else "case", c.role != MAYBE_EXTRA)
              for c in secondary if c.end - c.start >= _MIN_SECONDARY_CHARS),
    )
