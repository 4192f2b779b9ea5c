from nlu.emergency import EmergencyThresholds, decide, find_cues, fit_thresholds
from nlu.normalize import normalize


def cues(text):
    return find_cues(normalize(text).text)


def test_active_cues():
    assert "fire" in cues("着火了快来人").active
    assert "gas" in cues("楼道里全是煤气味").active
    assert "trapped" in cues("有人被困在电梯里").active
    assert "electric" in cues("电线掉下来了还在冒火花").active


def test_negation_is_not_an_emergency_cue():
    c = cues("不是着火,是烧垃圾的烟")
    assert not c.active and "fire" in c.inactive
    assert not cues("没人受伤").active


def test_past_tense_is_not_an_emergency_cue():
    assert not cues("昨晚着火了已经灭了").active
    assert not cues("上周电梯困人,等了一个小时").active


def test_past_but_still_going_on_is_active():
    assert cues("昨晚开始漏气到现在还在漏").active


def test_hypothetical_is_not_active():
    assert not cues("万一着火了怎么办").active
    assert not cues("一旦起火后果不堪设想").active


def test_decide_uses_the_group_threshold():
    th = EmergencyThresholds(active_cue=0.3, no_cue=0.7, inactive_cue=0.9)
    assert decide(0.4, cues("着火了"), th)
    assert not decide(0.4, cues("路边有垃圾"), th)
    assert not decide(0.8, cues("不是着火"), th)
    assert decide(0.95, cues("不是着火"), th)


def test_fit_thresholds_separates_scores():
    probs = [0.9, 0.8, 0.2, 0.1, 0.05, 0.6]
    cs = [cues(t) for t in ["着火了", "着火了", "路边垃圾", "路边垃圾", "没着火", "路边垃圾"]]
    labels = [True, True, False, False, False, False]
    th = fit_thresholds(probs, cs, labels, max_false_alarm=0.0)
    flags = [decide(p, c, th) for p, c in zip(probs, cs, strict=False)]
    assert flags == labels


def test_lookahead_compilation_keeps_matches():
    import re

    from nlu.emergency import CUE_PATTERNS
    from nlu.regex import compile_with_lookahead, first_chars

    pattern = "|".join(f"(?P<{k}>{p})" for k, p in CUE_PATTERNS.items())
    plain, fast = re.compile(pattern), compile_with_lookahead(pattern)
    assert fast.pattern.startswith("(?=[")
    for text in ["着火了快来人", "不是着火", "燃气管挖破了,现在还在漏", "gas leak help", "路边垃圾", "断掉的电线"]:
        assert [(m.lastgroup, m.span()) for m in plain.finditer(text)] == \
               [(m.lastgroup, m.span()) for m in fast.finditer(text)]
    assert first_chars("a|b(c)") == {"a", "b"}
    assert first_chars(".*x") is None


def test_past_is_scoped_to_the_cue_clause():
    # last year's fall is past; the open manhole now is not
    assert cues("去年有个小孩掉进过这口井,现在井盖又没了,赶紧补上吧").active == ("open_hole",)
    assert cues("去年有个小孩掉进过这口井,现在井盖又没了,赶紧补上吧").inactive == ("injury",)
    assert cues("昨天说的那个井盖有人掉进去了,现在人还在下面").active
    assert not cues("楼下电线冒过一次火花,已经灭了,现在线还垂着").active


def test_dangers_without_danger_words_are_cues():
    assert cues("公园门口的井盖没了,很危险").active == ("open_hole",)
    assert cues("菜场后门那个污水井没有盖子").active == ("open_hole",)
    assert cues("对面楼有个小孩爬到窗台外面坐着").active == ("ledge",)
    assert cues("楼道里一股臭鸡蛋的味道").active == ("gas",)
    assert cues("一根电线耷拉在人行道上").active == ("electric",)
    # a damaged or loose cover, a worry, a repaired one: no standing cue
    for text in ["井盖没盖严实,翘起来一个角", "井盖有点松", "担心孩子爬窗台", "之前缺的井盖已经补上了"]:
        assert not cues(text).active, text


def test_an_open_manhole_or_a_ledge_is_an_emergency_whatever_the_score():
    th = EmergencyThresholds(active_cue=0.9, no_cue=0.9, inactive_cue=0.9)
    assert decide(0.01, cues("公园门口的井盖没了,很危险"), th)
    assert decide(0.01, cues("有个孩子坐在楼顶边上晃腿"), th)
    assert not decide(0.01, cues("一根电线耷拉在人行道上"), th)  # other cues still need the score


def test_zhuyao_shi_is_not_yaoshi():
    # "主要是" (mainly) contains "要是" (if): not a hypothetical
    assert cues("主要是井盖没了").active == ("open_hole",)
    assert cues("要是着火了怎么办").inactive == ("fire",)


# Phrasings of an open manhole written apart from the rule (held-out style): the cover gone,
# stolen, sunk or broken through, the shaft open; and near misses that are no emergency.
OPEN_MANHOLES = [
    "公园门口的井盖没了，很危险",
    "小区门口井盖丢失了",
    "路口窨井盖被偷了",
    "下水道口敞开着没人管",
    "人行道上的井盖塌陷了",
    "马路上有个井盖缺失",
    "雨水井的盖子没了",
    "井盖被人拿走了",
    "路中间窨井盖破了个大洞",
    "人行道的排水沟盖板少了一块",
    "路边雨水篦子被偷了",
    "丢了一个井盖，晚上看不见",
    "化粪池盖子被掀开了",
    "污水井敞着口",
    "井盖陷下去了一半",
    "小区里检查井没有盖",
    "马路边排水沟盖板缺了好几块",
]
NOT_OPEN_MANHOLES = [
    "井盖一踩就响",
    "井盖周围路面坑洼",
    "下水道堵了往外冒水",
    "新换的井盖很结实",
    "井盖没丢，只是松动",
    "井盖高出路面",
    "雨水篦子堵了",
    "小区门口有个窨井盖没盖严实，歪在一边",
    "树池盖板没了一块",
    "井盖缺了一个角",
]


def test_the_open_manhole_family_is_an_emergency():
    th = EmergencyThresholds(active_cue=0.9, no_cue=0.9, inactive_cue=0.9)
    missed = [t for t in OPEN_MANHOLES if not decide(0.01, cues(t), th)]
    assert missed == []
    raised = [t for t in NOT_OPEN_MANHOLES if "open_hole" in cues(t).active]
    assert raised == []
    # a worry or a repaired cover still is not
    assert not cues("担心井盖被偷").active and not cues("丢失的井盖已经补上了").active
