import json
import textwrap

import pytest

from nlu.corpus import (
    CorpusError,
    Example,
    append_correction,
    conflicts,
    load_examples,
    load_jsonl,
    load_rasa,
    to_rasa_yaml,
)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_loads_reports_intents_and_emergency_metadata(tmp_path):
    p = write(tmp_path, "a.yml", """\
        version: "3.1"
        nlu:
        - intent: report/garbage
          examples: |
            - 垃圾桶满了
            - 有人乱倒[建筑垃圾](waste)
        - intent: report/other
          metadata:
            emergency: true
          examples: |
            - 着火了
        - intent: greet
          examples: |
            - 你好
        """)
    exs = load_rasa(p)
    assert [(e.intent, e.category, e.emergency) for e in exs] == [
        ("report", "garbage", False), ("report", "garbage", False),
        ("report", "other", True), ("greet", None, False)]
    assert exs[1].text == "有人乱倒建筑垃圾"  # entity annotation stripped
    assert exs[0].source.endswith("a.yml:5")
    assert exs[0].label == "report/garbage"


def test_unknown_category_names_file_and_line(tmp_path):
    p = write(tmp_path, "b.yml", """\
        nlu:
        - intent: report/garbage
          examples: |
            - 垃圾
        - intent: report/rubbish
          examples: |
            - 垃圾
        """)
    with pytest.raises(CorpusError, match=r"b\.yml:5: intent 'report/rubbish': unknown category id"):
        load_rasa(p)


def test_empty_intent(tmp_path):
    p = write(tmp_path, "c.yml", """\
        nlu:
        - intent: greet
          examples: |
        """)
    with pytest.raises(CorpusError, match=r"c\.yml:2: intent 'greet' has no examples"):
        load_rasa(p)


def test_malformed_yaml_reports_line(tmp_path):
    p = write(tmp_path, "d.yml", "nlu:\n- intent: greet\n  examples: |\n    - 你好\n  bad: [\n")
    with pytest.raises(CorpusError, match=r"d\.yml:\d+: invalid YAML"):
        load_rasa(p)


def test_unknown_intent_and_bare_report(tmp_path):
    p = write(tmp_path, "e.yml", "nlu:\n- intent: goodbye\n  examples: |\n    - 再见\n")
    with pytest.raises(CorpusError, match="unknown intent 'goodbye'"):
        load_rasa(p)
    p = write(tmp_path, "f.yml", "nlu:\n- intent: report\n  examples: |\n    - 垃圾\n")
    with pytest.raises(CorpusError, match="needs a category"):
        load_rasa(p)


def test_example_line_without_dash(tmp_path):
    p = write(tmp_path, "g.yml", "nlu:\n- intent: greet\n  examples: |\n    - 你好\n    在吗\n")
    with pytest.raises(CorpusError, match=r"g\.yml:5: intent 'greet': expected '- example'"):
        load_rasa(p)


def test_jsonl(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text("\n".join([
        json.dumps({"text": "垃圾满了", "intent": "report", "category": "garbage"}, ensure_ascii=False),
        json.dumps({"text": "着火了", "intent": "report/other", "emergency": True}, ensure_ascii=False),
        json.dumps({"text": "你好", "intent": "greet"}, ensure_ascii=False),
        "",
    ]), encoding="utf-8")
    exs = load_jsonl(p)
    assert [e.label for e in exs] == ["report/garbage", "report/other", "greet"]
    assert [e.emergency for e in exs] == [None, True, None]


@pytest.mark.parametrize("line, message", [
    ("not json", "x.jsonl:1: invalid JSON"),
    ('{"intent": "greet"}', "x.jsonl:1: missing or empty 'text'"),
    ('{"text": "a", "intent": "report", "category": "nope"}', "unknown category id 'nope'"),
    ('{"text": "a", "intent": "report"}', "needs a 'category'"),
    ('{"text": "a", "intent": "greet", "emergency": "yes"}', "emergency must be"),
])
def test_jsonl_errors(tmp_path, line, message):
    p = tmp_path / "x.jsonl"
    p.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_jsonl(p)


def test_missing_path_and_empty_dir(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        load_examples([tmp_path / "nope.yml"])
    with pytest.raises(CorpusError, match="no .yml"):
        load_examples([tmp_path])


def test_rasa_export_round_trip(tmp_path):
    exs = [Example("垃圾满了", "report", "garbage", False), Example("着火了", "report", "other", True),
           Example("你好", "greet", None, False), Example("有\x01控制符", "report", "garbage", False)]
    p = tmp_path / "out.yml"
    p.write_text(to_rasa_yaml(exs), encoding="utf-8")
    back = load_rasa(p)
    assert [(e.text, e.label, e.emergency) for e in back] == [
        ("垃圾满了", "report/garbage", False), ("有 控制符", "report/garbage", False),
        ("着火了", "report/other", True), ("你好", "greet", False)]


def test_append_correction_and_conflicts(tmp_path):
    p = tmp_path / "corrections.jsonl"
    append_correction(p, "门口堆了好多纸箱", "clutter")
    append_correction(p, "谢谢", intent="thanks")
    with pytest.raises(CorpusError):
        append_correction(p, "x", "not_a_category")
    exs = load_jsonl(p)
    assert [e.label for e in exs] == ["report/clutter", "thanks"]
    dup = exs + [Example("门口堆了好多纸箱", "report", "garbage", None)]
    assert [t for t, _ in conflicts(dup)] == ["门口堆了好多纸箱"]
