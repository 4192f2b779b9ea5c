"""Immediate danger to life or property: a trained score plus a rule layer.

The trained part is the emergency logit of `LinearHeads` (logistic regression on
the same TF-IDF features, fitted on the `metadata: {emergency: true}` blocks
against everything else). The rule layer finds danger cues (fire, gas, injury,
live wire, trapped, collapse, drowning, an open manhole, someone on a ledge) and
asks, for each cue, whether it is

- negated ("不是着火", "没人受伤", "没漏气"),
- hypothetical / a risk only ("万一着火", "一旦起火", "怕掉下来", "差点砸到人"),
- past and over ("昨晚着火了已经灭了", "上周电梯困人") — unless the text also says it
  is still going on ("到现在还在漏").

`decide()` combines the two: an active cue lowers the bar the trained score has
to clear, a cue that is only negated / hypothetical / past raises it. The
thresholds are fitted on out-of-fold training scores (`fit_thresholds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.regex import compile_with_lookahead

_GAS = r"(?:煤气|燃气|天然气|液化气|瓦斯|气罐|气瓶|煤气罐)"
_WIRE = r"(?:电线|电缆|高压线|电力线|电线杆)"
# An open manhole: a cover (of a manhole, a drain, a gully) gone, sunk or broken through, or
# the shaft itself standing open. A loose, tilted or rattling cover, a chipped corner or a
# tree pit's cover is not one (no cue).
_SHAFT = r"(?:窨井|阴井|检查井|下水井|污水井|雨水井|化粪池|下水道口?|排水口|井口)"
_COVER = (
    rf"(?:井盖|井的盖子?|井口的?盖子?|{_SHAFT}[^。!?！？,，]{{0,3}}盖(?:子|板)?|"
    r"(?:排水沟|水沟|沟|井)盖板|雨水?(?:篦子|箅子)|篦子|箅子)"
)
_GONE = (
    r"(?:没了|丢了|丢失|遗失|不见|被偷|被盗|被人偷|被人拿|被拿走|拿走了|被撬|被人撬|缺失|缺了(?!一?个?角)|少了|"
    r"没有了|掀开|掀了|掀掉|翻了|翻开|移开|挪开|移位了|碎了|碎掉|塌了|塌陷|陷下去|陷进去|掉下去|掉进去|"
    r"掉井里|破了个?大?洞|破洞|烂了个?大?洞)"
)
_OPEN_HOLE = (
    rf"{_COVER}[^。!?！？,，]{{0,3}}{_GONE}|"
    r"(?:丢了|丢失|缺失|缺了|少了|被偷了?|被盗了?)[^。!?！？,，]{0,3}(?:个|一个|块|一块)?[^。!?！？,，]{0,2}"
    r"(?:井盖|沟盖板|篦子|箅子)|"
    rf"{_SHAFT}[^。!?！？,，]{{0,4}}(?:敞开|敞着|开着口|大开|露着|露在外|没有?盖(?![严好紧牢实上])|无盖|没了盖子?)|"
    r"井没有?盖|没有?盖子?的(?:窨|下水|污水|雨水)?井|井口?(?:敞着|露着|露在外|开着口)|"
    r"敞着口|黑窟窿"
)
CUE_PATTERNS: dict[str, str] = {
    "fire": r"着火|起火|失火|火灾|火警|烧起来|烧着了|烧了起来|在烧|燃烧|火苗|明火|火势|火光|火很大|火好大|"
    r"浓烟|黑烟|冒烟|冒火|着了火|燃起来|爆炸|炸了|\bfire\b",
    "gas": rf"{_GAS}[^。!?！？]{{0,12}}(?:泄漏|泄露|漏气|漏了|在漏|味|喷|冒气)|漏气|煤气味|燃气味|天然气味|"
    r"往外喷气|往外跑气|嘶嘶[^。!?！？]{0,4}(?:冒|跑|漏)|臭鸡蛋[^。!?！？,，]{0,4}味|\bgas\b",
    "injury": r"受伤|受了伤|流血|出血|骨折|昏迷|晕倒|晕过去|倒地|不省人事|意识不清|没有?意识|没反应了|"
    r"抽搐|休克|喘不上气|呼吸困难|中毒|上吐下泻|抢救|咬伤|被咬|砸伤|砸到人|砸中|摔伤|撞伤|压伤|压住|伤人|撞了人|"
    r"撞到人|被车撞|撞倒|撞翻|顶人|砍人|持刀|动刀|打伤|头破血流|死人|人死|身亡|溺水|落水|掉进|坠入|坠落|"
    r"掉下去|掉到.{0,4}里|摔下去|跌进|跌下去|被撞|送医|快不行|跳楼|往下跳|轻生",
    "electric": rf"触电|电到人|被电|漏电|电火花|打火花|冒火花|带电|{_WIRE}[^。!?！？]{{0,6}}"
    r"(?:掉|断|落|垂到地|拖到地|拖在地|耷拉|搭在|火花|冒火|打火|倒|横在)|"
    r"(?:断|掉|垂)[^,.!?;。，！？]{0,4}" + _WIRE,
    "trapped": r"被困|困在|困住|困电梯|卡电梯|卡在电梯|出不来|救命|卡在|关在电梯|困人|逃不出|跑不出|"
    r"门开不了|\bhelp\b|\bsos\b",
    "collapse": r"倒塌|坍塌|塌了|塌方|塌陷|垮了|往下垮|塌下来|要塌|要倒了|倒下来|砸下来|掉下来|滑坡|泥石流|"
    r"吊在半空|悬在半空|被埋|埋住|埋在|埋了(?:一个|个|人|几个)|(?:脚手架|塔吊|吊臂)[^。!?！？]{0,8}(?:歪|晃)",
    "flood": r"冲走|被冲|淹到|淹了|水淹|齐腰|没过|漫进|涨水|撤不出|没撤出",
    # told without a danger word: an open manhole, someone on a ledge
    "open_hole": _OPEN_HOLE,
    "ledge": r"(?:爬|站|坐|蹲|挂|趴)[^。!?！？,，]{0,6}(?:窗台外|窗台上|窗外|阳台外|护栏外|栏杆外|楼顶边|"
    r"屋顶边|楼顶上|空调架|空调外机|防盗窗外)",
}
# Not danger by itself, but a sign of urgency; a feature for the classifier only.
URGENT_PATTERN = r"快来人|速来|赶紧来|救救|快救|立即处置|打了?(?:119|120|110)|叫(?:救护车|消防车)|!!|！！"
# One scan for every kind: named alternatives, `m.lastgroup` is the kind.
_CUES = compile_with_lookahead("|".join(f"(?P<{kind}>{p})" for kind, p in CUE_PATTERNS.items()))
_NEGATION = re.compile(
    r"(?:不是|并非|并不是|没有|没|无|未|不会|不像)(?:人|人员)?[^,.!?;。，！？]{0,3}$"
)
_HYPOTHETICAL = re.compile(
    r"(?:万一|一旦|(?<![主重就还只总])要是|如果|假如|怕|担心|害怕|容易|防止|预防|以防|隐患|差点|险些|可能会|会不会|迟早|早晚|"
    r"小心|演练|以为|好像要|生怕)[^,.!?;。，！？]{0,8}$"
)
_PAST_TIME = (
    r"昨天|昨晚|前天|前晚|前几天|前两天|上周|上礼拜|上星期|上个?月|上次|去年|之前|以前|那次|曾经|着过|过一次|过火"
)
_RESOLVED = (
    r"已经?(?:灭|扑灭|修好|处理|送医|救出|散了|没事|恢复|解决|补上|盖上|盖好)|灭了|扑灭了|被扑灭|后来|没事了|虚惊"
)
_PAST = re.compile(f"{_PAST_TIME}|{_RESOLVED}")
_STILL = re.compile(r"现在|正在|还在|仍在|一直|到现在|马上|赶紧|快来|快点|速来|救命|刚刚|刚才|此刻|!!|！！")
# Scoped to the cue's own clause: a past time there makes that cue past, unless that
# clause or the next says it is still going on; a resolution anywhere after the cue ends it.
_CLAUSE_PAST = re.compile(_PAST_TIME)
_CLAUSE_ONGOING = re.compile(r"还在|正在|仍在|一直在|到现在|越来越|快来|救命")
_RESOLVED_AFTER = re.compile(_RESOLVED)
_SENTENCE_START = re.compile(r"[,.!?;。，！？\s]")
_CLAUSE_END = re.compile(r"[,.!?;。，！？\s]")


_URGENT = re.compile(URGENT_PATTERN)


@dataclass(frozen=True, slots=True)
class CueReport:
    active: tuple[str, ...]  # cue kinds that stand (not negated, not hypothetical, not past)
    inactive: tuple[str, ...]  # cue kinds found but negated / hypothetical / past
    urgent: bool = False
    past: bool = False

    @property
    def any_cue(self) -> bool:
        return bool(self.active or self.inactive)

    def tokens(self) -> list[str]:
        """Pseudo-words for the classifier: the rules become features it can weigh."""
        out = [f"⟨{k}⟩" for k in self.active] + [f"⟨{k}-⟩" for k in self.inactive]
        if self.active:
            out.append("⟨danger⟩")
        if self.urgent:
            out.append("⟨urgent⟩")
        if self.past:
            out.append("⟨past⟩")
        return out


def find_cues(text: str) -> CueReport:
    """Danger cues in a normalised text, split into active and inactive ones."""
    active: list[str] = []
    inactive: list[str] = []
    past_text = bool(_PAST.search(text)) and not _STILL.search(text)
    for m in _CUES.finditer(text):
        kind = m.lastgroup or ""
        before = text[max(0, m.start() - 12):m.start()]
        clause_start = max((i for i, c in enumerate(before) if _SENTENCE_START.match(c)), default=-1)
        clause = before[clause_start + 1:]
        stop = _CLAUSE_END.search(text, m.end())
        end = stop.start() if stop else len(text)
        whole = clause + text[m.start():end]
        after = _CLAUSE_END.search(text, end + 1) if end < len(text) else None
        following = text[end:after.start() if after else len(text)]  # "…掉进去了，现在人还在下面"
        past = (
            (_CLAUSE_PAST.search(whole) is not None
             and _CLAUSE_ONGOING.search(whole + following) is None)
            or _RESOLVED_AFTER.search(text, m.end()) is not None
        )
        if _NEGATION.search(clause[-5:]) or _HYPOTHETICAL.search(clause) or past:
            inactive.append(kind)
        else:
            active.append(kind)
    return CueReport(tuple(dict.fromkeys(active)), tuple(dict.fromkeys(inactive)),
                     _URGENT.search(text) is not None, past_text)


@dataclass(frozen=True, slots=True)
class EmergencyThresholds:
    """Probability the trained score must reach, by what the rules found."""

    active_cue: float = 0.30
    no_cue: float = 0.70
    inactive_cue: float = 0.90

    def as_dict(self) -> dict[str, float]:
        return {"active_cue": self.active_cue, "no_cue": self.no_cue, "inactive_cue": self.inactive_cue}


# Cue kinds that are an immediate danger by themselves, whatever the trained score says:
# an open manhole in a public place, a person on a ledge. (The corpus also has risky but
# not urgent messages about manholes — a loose or cracked cover — which match no cue.)
DANGER_ON_ITS_OWN = frozenset({"open_hole", "ledge"})


def decide(prob: float, cues: CueReport, th: EmergencyThresholds) -> bool:
    if DANGER_ON_ITS_OWN.intersection(cues.active):
        return True
    if cues.active:
        return prob >= th.active_cue
    if cues.inactive:
        return prob >= th.inactive_cue
    return prob >= th.no_cue


def fit_thresholds(
    probs: list[float],
    cues: list[CueReport],
    labels: list[bool],
    max_false_alarm: float = 0.01,
) -> EmergencyThresholds:
    """Per-group thresholds on out-of-fold scores: most recall with few false alarms.

    The three groups are searched jointly over a coarse grid; among settings whose
    false-alarm rate is ≤ `max_false_alarm`, the one with the highest recall
    wins (ties → fewer false alarms, then higher thresholds). A negated / past /
    hypothetical cue never lowers the bar: `inactive_cue ≥ max(active_cue, no_cue)`.
    (`active_cue` may end up above `no_cue`: the cues are also classifier
    features, so danger words already raise the score, hard negatives included.)
    """
    grid = [round(0.05 * k, 2) for k in range(1, 20)] + [0.97, 0.99, 1.01]
    groups: dict[str, list[tuple[float, bool]]] = {"active": [], "none": [], "inactive": []}
    fixed_tp = fixed_fp = 0  # flagged by a cue that is danger on its own, whatever the bar
    for p, c, y in zip(probs, cues, labels, strict=True):
        if DANGER_ON_ITS_OWN.intersection(c.active):
            fixed_tp, fixed_fp = fixed_tp + y, fixed_fp + (not y)
            continue
        g = "active" if c.active else ("inactive" if c.inactive else "none")
        groups[g].append((p, y))
    n_pos = sum(labels) or 1
    n_neg = (len(labels) - sum(labels)) or 1

    def counts(g: str, t: float) -> tuple[int, int]:
        tp = sum(1 for p, y in groups[g] if y and p >= t)
        fp = sum(1 for p, y in groups[g] if not y and p >= t)
        return tp, fp

    table = {g: {t: counts(g, t) for t in grid} for g in groups}
    best: tuple[float, float, float] | None = None
    best_th = EmergencyThresholds()
    for ta in grid:
        for tn in grid:
            for ti in grid:
                if ti < max(ta, tn):
                    continue
                tp = fixed_tp + table["active"][ta][0] + table["none"][tn][0] + table["inactive"][ti][0]
                fp = fixed_fp + table["active"][ta][1] + table["none"][tn][1] + table["inactive"][ti][1]
                if fp / n_neg > max_false_alarm:
                    continue
                key = (tp / n_pos, -fp / n_neg, ta + tn + ti)
                if best is None or key > best:
                    best, best_th = key, EmergencyThresholds(ta, tn, ti)
    return best_th
