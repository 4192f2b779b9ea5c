"""Whatever text arrives, the model answers in the interface's shape and never crashes."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu.glossary import english_tokens
from nlu.stream import classify_lines

INTENTS = {"report", "greet", "help", "status_query", "thanks", "chitchat"}
CATEGORIES = {"illegal_parking", "street_vending", "shopfront_encroachment", "garbage", "illegal_ads",
              "illegal_construction", "clutter", "road_facility", "drainage", "greenery", "noise",
              "air_pollution", "food_safety", "construction_site", "utilities", "animals", "other"}

texts = st.text(max_size=80) | st.text(
    alphabet=st.sampled_from(list("着火不是昨晚已经灭了井盖路灯赣B·3K127电话13812345678三号楼 😀\u200b\x00Ａ")),
    max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_any_text_gets_a_well_formed_answer(tiny_model, text):
    p = tiny_model.predict(text)
    assert p.intent in INTENTS
    assert (p.category in CATEGORIES) if p.intent == "report" else p.category is None
    assert 0.0 <= p.confidence <= 1.0 and 0.0 <= p.intent_confidence <= 1.0
    assert isinstance(p.emergency, bool)
    assert [c for c, _ in p.ranking] and all(c in CATEGORIES for c, _ in p.ranking)
    for e in p.entities:
        assert text[e.start:e.end] == e.text
    json.dumps(p.as_dict(), ensure_ascii=False).encode("utf-8")


def test_stream_in_process(tiny_model):
    out: list[bytes] = []
    errors: list[str] = []
    lines = [b'{"id": 1, "text": "\\u4f60\\u597d"}\n', b"\n", b"nope\n", b'{"id": 4, "text": null}\r\n',
             '{"id": 5, "text": "井盖没了"}'.encode()]
    bad = classify_lines(tiny_model, lines, out.append, errors.append)
    assert bad == 2
    assert [json.loads(o)["id"] for o in out] == [1, 5]
    assert errors[0].startswith("line 3: invalid JSON") and errors[1].startswith("line 4: 'text'")


def test_bom_on_first_line(tiny_model):
    out: list[bytes] = []
    bad = classify_lines(tiny_model, ['\ufeff{"id": 1, "text": "你好"}'.encode()], out.append, print)
    assert bad == 0 and json.loads(out[0])["intent"] == "greet"


def test_english_glossary():
    assert english_tokens("garbage everywhere, parking乱停") == ["垃圾", "停车"]
    assert english_tokens("没有英文") == []


def test_bench_runs(tiny_model_dir):
    from nlu.bench import format_bench, run_bench

    r = run_bench(tiny_model_dir, n=200, latency_n=50, with_startup=False)
    assert r["batch_msgs_per_s"] > 0 and r["latency_ms"]["p99"] >= r["latency_ms"]["p50"]
    assert "batch throughput" in format_bench(r)
