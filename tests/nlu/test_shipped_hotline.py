"""The shipped model on the dev set's 12345 work orders (style `hotline`): as good as on chat."""

from __future__ import annotations

from nlu.api import PACKAGED_DEV_DIR, PACKAGED_MODEL_DIR, load_model


def test_hotline_style_meets_the_chat_threshold():
    from dispatch.domain.taxonomy import load_taxonomy
    from nlu.corpus import load_examples
    from nlu.evaluate import evaluate

    orders = [e for e in load_examples([PACKAGED_DEV_DIR]) if e.style == "hotline"]
    assert len(orders) >= 150
    assert len({e.category for e in orders if e.category}) == 17
    model = load_model(PACKAGED_MODEL_DIR)
    r = evaluate(orders, model.predict_batch([e.text for e in orders]), load_taxonomy().category_ids)
    assert r["per_style"]["hotline"]["accuracy"] >= 0.95, r["per_style"]
    assert r["category_macro_f1"] >= 0.95
    assert r["intent_accuracy"] >= 0.98
    assert r["emergency"]["recall"] >= 0.98  # gas, fallen wires, open manholes, people trapped
    assert r["emergency"]["false_alarm_rate"] <= 0.01
