"""Several problems in one message: the one asked about is the category, the others are
named as secondary problems (extra → offered as cases, dismissed → notes)."""

from __future__ import annotations

from nlu.focus import find_focus


def _parts(text: str) -> tuple[str, list[tuple[str, str]]]:
    f = find_focus(text)
    assert f is not None, text
    return f.main_text(text), [(text[s:e], kind) for s, e, kind, _ in f.secondary]


def test_one_problem_has_no_focus():
    assert find_focus("小区门口垃圾桶满了，臭得很，好几天没人收") is None
    assert find_focus("井盖没了") is None
    assert find_focus("") is None


def test_focus_cue_picks_the_main_problem():
    main, sec = _parts("楼下垃圾桶满了这个先不说，主要是消防通道又被堵了，车主电话打不通")
    assert main == "主要是消防通道又被堵了，车主电话打不通"  # a plain clause continues the focus
    assert sec == [("楼下垃圾桶满了这个先不说", "note")]


def test_old_problem_then_today():
    main, sec = _parts("广场舞吵是老问题了，今天要说的是人行道上停满了车")
    assert main == "今天要说的是人行道上停满了车"
    assert sec == [("广场舞吵是老问题了", "note")]


def test_extra_problem_is_offered_as_a_case():
    main, sec = _parts("反映一下雨水篦子被堵死了，另外顺带提一下路边的树枝挡路")
    assert main == "反映一下雨水篦子被堵死了"
    assert sec == [("另外顺带提一下路边的树枝挡路", "case")]


def test_dismissed_then_plain_clause_is_the_point():
    main, sec = _parts("摊贩的事城管管过了，路边那堆砖头放了两个月没人拉走")
    assert main == "路边那堆砖头放了两个月没人拉走"
    assert sec == [("摊贩的事城管管过了", "note")]


def test_prediction_follows_the_main_problem_and_names_the_others(tiny_model):
    p = tiny_model.predict("垃圾撒了一地先不说，主要是晚上十点还在施工太吵了，另外路灯不亮了")
    assert p.category == "noise"
    got = {(s.category, s.suggest) for s in p.secondary}
    assert got == {("garbage", "note"), ("road_facility", "case")}
    road = next(s for s in p.secondary if s.category == "road_facility")
    assert road.text == "另外路灯不亮了"
    d = p.as_dict()["secondary"]
    assert {"category", "text", "confidence", "suggest", "start", "end"} <= set(d[0])
    # one problem: no secondary
    assert tiny_model.predict("广场舞音响太大声").secondary == []


def test_an_extra_problem_of_the_same_category_is_still_offered(tiny_model):
    p = tiny_model.predict("主要是路面有个大坑，另外路灯不亮了")
    assert p.category == "road_facility"
    assert [(s.category, s.suggest, s.text) for s in p.secondary] == [("road_facility", "case", "另外路灯不亮了")]


def test_a_numbered_list_offers_the_second_item_and_requests_are_no_problem():
    main, sec = _parts("来电人反映：一是金沙路人行道上停满了车，二是路口垃圾桶满溢，要求相关部门尽快处理。")
    assert main == "来电人反映：一是金沙路人行道上停满了车，要求相关部门尽快处理"
    assert sec == [("二是路口垃圾桶满溢", "case")]
    main, sec = _parts("门口垃圾没人收，另，路灯坏了")
    assert main == "门口垃圾没人收" and sec == [("路灯坏了", "case")]
    assert find_focus("门口有人摆摊，第二天又来了") is None  # 第二天: the next day, not a second item


def test_going_on_about_the_same_problem_is_no_second_problem():
    from nlu.api import PACKAGED_MODEL_DIR, load_model

    shipped = load_model(PACKAGED_MODEL_DIR)
    assert shipped.predict("停车场角落有人扔了好多装修垃圾，还有旧马桶和碎玻璃").secondary == []
    p = shipped.predict("楼道里堆满了纸箱，还有楼道灯也坏了")  # "还有" + another category: offered
    assert [(s.category, s.suggest) for s in p.secondary] == [("road_facility", "case")]
    assert find_focus("城管来了又走，天黑了还有人在摆摊") is None  # 还有人: "there are still people"
    assert find_focus("光明路那一段在修管网，把半幅路都围起来了") is None  # 在修 here is the problem
