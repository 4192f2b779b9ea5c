"""The 12345 call-taker's formulas are not what the classifier reads (nlu/formulas.py)."""

from __future__ import annotations

import pytest

from nlu.formulas import strip_formulas
from nlu.normalize import normalize
from nlu.pipeline import feature_text


@pytest.mark.parametrize(("order", "core"), [
    ("市民来电反映：望江苑小区门口垃圾桶满溢，要求相关部门尽快处理。", "望江苑小区门口垃圾桶满溢"),
    ("来电人称，桃源街路灯不亮，请相关部门核实处理。", "桃源街路灯不亮"),
    ("诉求人反映：河堤路护栏上拉绳晾衣，影响景观，请求整改。", "河堤路护栏上拉绳晾衣,影响景观"),
    ("12345转办：化工厂夜间排放刺激性气体，请求环保部门核查。", "化工厂夜间排放刺激性气体"),
    ("群众来电投诉：夜市占道，希望有关部门予以取缔，并及时给予答复。", "夜市占道"),
])
def test_opening_and_closing_are_stripped(order, core):
    assert feature_text(normalize(order).text) == core


@pytest.mark.parametrize("text", [
    "能不能请物业处理一下",  # no clause before the request: nothing is a formula
    "要求相关部门处理",  # a formula is all there is: kept
    "楼下太吵了,请管管",  # a request without the departments' words
    "市民来电咨询:办理居住证需要哪些材料",  # the opening of a question keeps its verb
])
def test_what_is_not_a_formula_stays(text):
    assert strip_formulas(text) == text


def test_words_that_carry_the_intent_stay():
    assert strip_formulas("来电人表示感谢,路灯修好了") == "感谢,路灯修好了"
    assert strip_formulas("市民来电询问:上周反映的路灯一事办理到哪一步了") == "市民来电询问:上周反映的路灯一事办理到哪一步了"


def test_entities_keep_offsets_into_the_original_order():
    from nlu.api import PACKAGED_MODEL_DIR, load_model

    order = "市民来电反映：建设路18号门口井盖松动，要求相关部门尽快处理。"
    p = load_model(PACKAGED_MODEL_DIR).predict(order)
    assert p.category == "road_facility"
    for e in p.entities:
        assert order[e.start:e.end] == e.text
