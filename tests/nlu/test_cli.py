"""`gridbot nlu ...` end to end, through a real subprocess.

Most tests run `python -m nlu.cli` (the same Typer app that gridbot mounts as
`gridbot nlu`) so they do not depend on the rest of the gridbot CLI; one test goes
through `python -m gridbot.cli nlu classify` itself.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TINY_TRAIN = FIXTURES / "tiny_train.yml"
TINY_DEV = FIXTURES / "tiny_dev.jsonl"

GRIDBOT = [sys.executable, "-m", "gridbot.cli"]
NLU = [sys.executable, "-m", "nlu.cli"]


def run(args, stdin=b"", check=False, via=None):
    if via is None:
        assert args[0] == "nlu"
        cmd = NLU + args[1:]
    else:
        cmd = via + args
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120, check=check)


def classify(model_dir, lines, *extra):
    data = b"".join(line + b"\n" for line in lines)
    return run(["nlu", "classify", "--model", str(model_dir), *extra], data)


def jl(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def test_classify_output_fields_and_order(tiny_model_dir):
    r = classify(tiny_model_dir, [jl({"id": "a", "text": "菜市场门口有人摆摊"}),
                                  jl({"id": 2, "text": "你好"}),
                                  jl({"id": None, "text": "着火了快来人"})])
    assert r.returncode == 0, r.stderr
    outs = [json.loads(x) for x in r.stdout.decode("utf-8").splitlines()]
    assert [o["id"] for o in outs] == ["a", 2, None]
    a, b, c = outs
    assert (a["intent"], a["category"]) == ("report", "street_vending")
    assert (b["intent"], b["category"]) == ("greet", None)
    assert c["emergency"] is True
    for o in outs:
        assert set(o) >= {"id", "intent", "category", "confidence", "emergency", "entities", "ranking"}
        assert 0.0 <= o["confidence"] <= 1.0
        assert len(o["ranking"]) == 3


def test_through_the_gridbot_command(tiny_model_dir):
    r = run(["nlu", "classify", "--model", str(tiny_model_dir)], jl({"id": "g", "text": "你好"}) + b"\n",
            via=GRIDBOT)
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout)["intent"] == "greet"


def test_every_bad_input_case(tiny_model_dir):
    lines = [
        jl({"id": 1, "text": "井盖没了"}),
        b"this is not json",                         # 2: not JSON
        jl({"id": 3}),                               # 3: missing text
        jl({"id": 4, "text": 42}),                   # 4: text not a string
        b'{"id": 5, "text": "\xff\xfe bad utf-8"}',  # 5: invalid UTF-8
        jl({"id": 6, "text": ""}),                   # empty
        jl({"id": 7, "text": "   \t  "}),            # whitespace
        jl({"id": 8, "text": "😀😀🎉"}),            # only emoji
        jl({"id": 9, "text": "\u0000\u0007\u001b[31m"}),  # control characters
        jl({"id": 10, "text": "\u00ff\u00fe\u0000\u0089PNG\r\n\u001a" * 20}),  # binary garbage
        jl({"id": 11, "text": "路灯坏了" * 2500}),   # 10,000 characters
        b"[1, 2, 3]",                                # 12: JSON but not an object
        b'{"id": 13, "text": "\\u4f60\\u597d\\ud800"}',  # lone surrogate escape
        b"",                                         # blank line: skipped
        jl({"id": 15, "text": "谢谢"}),
    ]
    r = classify(tiny_model_dir, lines)
    assert r.returncode == 1  # some lines were bad; all good ones answered
    outs = [json.loads(x) for x in r.stdout.decode("utf-8").splitlines()]
    assert [o["id"] for o in outs] == [1, 6, 7, 8, 9, 10, 11, 13, 15]
    by_id = {o["id"]: o for o in outs}
    for i in (6, 7, 8, 9, 10):
        assert by_id[i]["intent"] == "chitchat" and by_id[i]["category"] is None
        assert by_id[i]["confidence"] < 0.5 and by_id[i]["emergency"] is False
    assert by_id[11]["intent"] == "report"
    err = r.stderr.decode("utf-8")
    for n in (2, 3, 4, 5, 12):
        assert f"line {n}:" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 5


def test_strict_stops_at_first_bad_line(tiny_model_dir):
    r = classify(tiny_model_dir, [jl({"id": 1, "text": "你好"}), b"{oops", jl({"id": 3, "text": "谢谢"})],
                 "--strict")
    assert r.returncode == 1
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == [1]
    assert "line 2:" in r.stderr.decode()


def test_entity_offsets_refer_to_original_text(tiny_model_dir):
    text = "Ｂ栋旁，住\u200b在三号楼，车牌赣B·3K127，电话 138-1234-5678，昨晚十点"
    r = classify(tiny_model_dir, [jl({"id": "e", "text": text})])
    out = json.loads(r.stdout)
    types = {e["type"] for e in out["entities"]}
    assert {"plate", "phone", "time", "house_number"} <= types
    for e in out["entities"]:
        assert text[e["start"]:e["end"]] == e["text"]


def test_missing_model_is_one_clear_line(tmp_path):
    r = run(["nlu", "classify", "--model", str(tmp_path / "nope")], jl({"id": 1, "text": "x"}) + b"\n")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr.decode()
    assert len(r.stderr.decode().strip().splitlines()) == 1


def test_train_eval_export(tmp_path):
    out_dir = tmp_path / "model"
    r = run(["nlu", "train", "--data", str(TINY_TRAIN), "--out", str(out_dir), "--seed", "1", "-q"])
    assert r.returncode == 0, r.stderr.decode()
    assert (out_dir / "metadata.json").exists()
    r = run(["nlu", "eval", "--data", str(TINY_DEV), "--model", str(out_dir), "--json"])
    assert r.returncode == 0, r.stderr.decode()
    res = json.loads(r.stdout)
    assert {"category_macro_f1", "intent_accuracy", "per_category", "emergency", "confusions",
            "reliability", "ece"} <= set(res)
    assert res["emergency"]["positives"] == 1
    r = run(["nlu", "eval", "--data", str(TINY_DEV), "--model", str(out_dir)])
    assert "macro-F1" in r.stdout.decode() and "ECE" in r.stdout.decode()
    exported = tmp_path / "all.yml"
    corr = tmp_path / "corr.jsonl"
    corr.write_text(jl({"text": "门口堆满了纸箱", "intent": "report", "category": "clutter"}).decode() + "\n",
                    encoding="utf-8")
    r = run(["nlu", "export-rasa", "--data", str(TINY_TRAIN), "--corrections", str(corr),
             "--out", str(exported)])
    assert r.returncode == 0, r.stderr.decode()
    text = exported.read_text(encoding="utf-8")
    assert "- intent: report/clutter" in text and "门口堆满了纸箱" in text
    assert "emergency: true" in text


@pytest.mark.parametrize("args, message", [
    (["nlu", "train", "--data", "/nonexistent/x.yml"], "no such file"),
    (["nlu", "eval", "--data", "/nonexistent/x.jsonl"], "no such file"),
])
def test_bad_paths(args, message):
    r = run(args)
    assert r.returncode != 0
    assert message in r.stderr.decode()
    assert "Traceback" not in r.stderr.decode()


def _one_by_one(model_dir, lines):
    """What the library's batch path answers for each line alone, in the command's format."""
    from nlu.api import load_model

    m = load_model(model_dir)
    out = []
    for raw in lines:
        obj = json.loads(raw)
        answer = {"id": obj.get("id")}
        answer.update(m.predict_batch([obj["text"]])[0].as_dict())
        out.append(json.dumps(answer, ensure_ascii=False))
    return out


def test_a_piped_stream_is_answered_in_batches_exactly_as_one_by_one(tiny_model_dir):
    from nlu.corpus import load_examples

    texts = [e.text for e in load_examples([Path("nlu/data/dev")])] * 2  # ~2,900 lines
    lines = [jl({"id": i, "text": t}) for i, t in enumerate(texts)]
    r = classify(tiny_model_dir, lines[:1000] + [b"not json"] + lines[1000:])
    assert r.returncode == 1  # the bad line is reported; every other line is answered
    assert r.stderr.decode().count("line 1001: invalid JSON") == 1
    assert r.stdout.decode("utf-8").splitlines() == _one_by_one(tiny_model_dir, lines)


def test_lines_ready_together_are_one_batch():
    import io

    from nlu.stream import available_lines, classify_batches

    stream = io.BufferedReader(io.BytesIO(b"".join(jl({"id": i, "text": "你好"}) + b"\n" for i in range(300))))
    batches = list(available_lines(stream, size=4096))
    assert sum(map(len, batches)) == 300 and len(batches) < 30  # many lines per read

    class Counting:
        calls: list[int] = []

        def predict_batch(self, texts):
            from nlu.pipeline import Prediction

            self.calls.append(len(texts))
            return [Prediction("greet", None, 1.0, False, [], [], 1.0, 0.0) for _ in texts]

    out: list[bytes] = []
    assert classify_batches(Counting(), batches, out.append, print) == 0
    assert sum(Counting.calls) == 300 and len(out) == len(batches)
    assert [json.loads(x)["id"] for x in b"".join(out).splitlines()] == list(range(300))


def test_a_line_is_answered_before_the_next_is_sent(tiny_model_dir):
    """Interactive use: nothing waits for a batch to fill."""
    from concurrent.futures import ThreadPoolExecutor

    p = subprocess.Popen(NLU + ["classify", "--model", str(tiny_model_dir)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        with ThreadPoolExecutor(1) as reader:
            for i in range(3):
                p.stdin.write(jl({"id": i, "text": "菜市场门口有人摆摊"}) + b"\n")
                p.stdin.flush()  # the stream stays open: the answer must come anyway
                assert json.loads(reader.submit(p.stdout.readline).result(timeout=60))["id"] == i
        p.stdin.close()
        assert p.wait(timeout=60) == 0
    finally:
        p.kill()
        p.wait()
