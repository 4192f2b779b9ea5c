"""The shipped model on the packaged dev set: the figures nlu/README.md reports, per style."""

from __future__ import annotations

import pytest

from nlu.api import PACKAGED_DEV_DIR, PACKAGED_MODEL_DIR, load_model


@pytest.fixture(scope="module")
def shipped():
    return load_model(PACKAGED_MODEL_DIR)


def test_dev_set_macro_f1_styles_and_emergencies(shipped):
    from dispatch.domain.taxonomy import load_taxonomy
    from nlu.corpus import load_examples
    from nlu.evaluate import evaluate

    dev = load_examples([PACKAGED_DEV_DIR])
    r = evaluate(dev, shipped.predict_batch([e.text for e in dev]), load_taxonomy().category_ids)
    assert r["category_macro_f1"] >= 0.95
    assert {"indirect", "multi"} <= set(r["per_style"])
    assert all(m["accuracy"] >= 0.90 for m in r["per_style"].values()), r["per_style"]
    assert r["per_style"]["indirect"]["n"] >= 60 and r["per_style"]["multi"]["n"] >= 60
    assert r["emergency"]["recall"] >= 0.98
    assert r["emergency"]["false_alarm_rate"] <= 0.01


def test_dangers_without_cue_words_and_alarming_words_without_danger(shipped):
    for text in ["公园门口的井盖没了，很危险", "对面楼有个小孩爬到窗台外面了", "楼梯间一股很浓的煤气味"]:
        assert shipped.predict(text).emergency, text
    for text in ["吵死了！楼下KTV天天唱到两点", "臭死了，垃圾桶一周没人收", "呛死了，楼下饭店的油烟直往家里灌",
                 "急死人了，停水一整天了"]:
        p = shipped.predict(text)
        assert p.intent == "report" and not p.emergency, text


def test_the_problem_asked_about_is_the_category(shipped):
    p = shipped.predict("楼下垃圾桶满了这个先不说，主要是消防通道又被一辆面包车堵死了，另外路灯也坏了")
    assert p.category == "illegal_parking"
    assert [(s.category, s.suggest) for s in p.secondary] == [("garbage", "note"), ("road_facility", "case")]
    assert p.as_dict()["secondary"][1]["text"] == "另外路灯也坏了"
