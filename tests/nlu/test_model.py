import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from nlu.api import load_model
from nlu.artifact import save_model
from nlu.train import TrainConfig, train

FIXTURES = Path(__file__).parent / "fixtures"
TINY_TRAIN = FIXTURES / "tiny_train.yml"
TINY_DEV = FIXTURES / "tiny_dev.jsonl"


def test_artifact_layout(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert {"metadata.json", "arrays.npz", "vocab.json", "jieba_dict.json", "userdict.txt"} <= names
    assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names)
    meta = json.loads((tiny_model_dir / "metadata.json").read_text(encoding="utf-8"))
    for key in ("labels", "emergency_thresholds", "training_data", "library_versions", "seed",
                "metrics", "created_at", "temperature"):
        assert key in meta
    assert len(meta["training_data"]["sha256"]) == 64
    assert len(meta["labels"]) == 22
    with np.load(tiny_model_dir / "arrays.npz", allow_pickle=False) as z:
        assert z["coef"].shape[1] == 23


def test_predicts_obvious_messages(tiny_model):
    p = tiny_model.predict("菜市场门口有人摆摊卖菜")
    assert (p.intent, p.category) == ("report", "street_vending")
    assert tiny_model.predict("你好").intent == "greet"
    assert tiny_model.predict("谢谢").intent == "thanks"
    fire = tiny_model.predict("着火了快来人救命")
    assert fire.emergency and fire.intent == "report"
    assert not tiny_model.predict("不是着火,是有人在烧垃圾").emergency


def test_ranking_and_confidence(tiny_model):
    p = tiny_model.predict("路灯不亮了")
    assert len(p.ranking) == 3
    assert p.ranking[0][0] == p.category
    assert abs(p.ranking[0][1] - p.confidence) < 1e-9
    assert all(0.0 <= c <= 1.0 for _, c in p.ranking)
    assert p.ranking[0][1] >= p.ranking[1][1] >= p.ranking[2][1]


def test_contentless_messages_are_low_confidence_chitchat(tiny_model):
    from nlu.api import ASK_THRESHOLD

    for text in ["", "   ", "😀😀😀", "!!!???", "\x00\x01\x02", "ÿþýüû" * 5, "ქართული ენა"]:
        p = tiny_model.predict(text)
        assert p.intent == "chitchat" and p.category is None, text
        assert p.confidence < ASK_THRESHOLD and not p.emergency


def test_long_message(tiny_model):
    text = "井盖没了" + "啊" * 9980 + "电话13812345678"
    p = tiny_model.predict(text)
    assert p.intent in {"report", "chitchat", "greet", "help", "thanks", "status_query"}
    phones = [e for e in p.entities if e.type == "phone"]
    assert phones and text[phones[0].start:phones[0].end] == "13812345678"


def test_predict_and_predict_batch_agree(tiny_model):
    texts = ["井盖没了", "你好", "", "着火了", "车停在人行道上, 赣B·3K127"]
    batch = tiny_model.predict_batch(texts)
    for t, b in zip(texts, batch, strict=False):
        s = tiny_model.predict(t)
        assert (s.intent, s.category, s.emergency) == (b.intent, b.category, b.emergency)
        assert abs(s.confidence - b.confidence) < 1e-4
        assert s.entities == b.entities


def test_save_load_round_trip_identical_predictions(tiny_model, tmp_path):
    save_model(tiny_model, tmp_path / "copy")
    again = load_model(tmp_path / "copy")
    texts = ["五丰菜市场门口有人摆摊", "井盖没了", "你好", "着火了", "垃圾桶满了"]
    for a, b in zip(tiny_model.predict_batch(texts), again.predict_batch(texts), strict=False):
        assert a.as_dict() == b.as_dict()


def test_add_places(tiny_model_dir):
    m = load_model(tiny_model_dir)
    m.add_places(["五丰菜市场", "幸福里"])
    p = m.predict("五丰菜市场门口有人摆摊")
    assert {"type": "place", "text": "五丰菜市场", "start": 0, "end": 5} in [e.as_dict() for e in p.entities]
    assert "五丰菜市场" in m.tokenizer.cut("五丰菜市场门口有人摆摊")


def test_training_is_reproducible(tiny_examples, tmp_path):
    for name in ("a", "b"):
        save_model(train(tiny_examples, TrainConfig(seed=3, folds=3), [TINY_TRAIN]), tmp_path / name)
    with np.load(tmp_path / "a" / "arrays.npz") as a, np.load(tmp_path / "b" / "arrays.npz") as b:
        for k in ("coef", "intercept", "idf"):
            assert np.array_equal(a[k], b[k])
    assert (tmp_path / "a" / "vocab.json").read_bytes() == (tmp_path / "b" / "vocab.json").read_bytes()


def test_inference_imports_neither_sklearn_nor_scipy(tiny_model_dir):
    code = (
        "import sys; from nlu.api import load_model; "
        f"m = load_model({str(tiny_model_dir)!r}); m.predict('井盖没了'); m.predict_batch(['你好']); "
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'scipy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_model_dir(tmp_path):
    import pytest

    from nlu.artifact import ModelError

    with pytest.raises(ModelError, match="not a model directory"):
        load_model(tmp_path)


def test_packaged_model_ships_and_works():
    from nlu.api import PACKAGED_MODEL_DIR

    meta = json.loads((PACKAGED_MODEL_DIR / "metadata.json").read_text(encoding="utf-8"))
    assert meta["metrics"]["dev"]["category_macro_f1"] >= 0.9
    assert sum(p.stat().st_size for p in PACKAGED_MODEL_DIR.iterdir()) < 5_000_000
    m = load_model(PACKAGED_MODEL_DIR)
    p = m.predict("五丰菜市场门口天天有人摆摊卖菜，把路都堵了")
    assert (p.intent, p.category) == ("report", "street_vending")
    assert m.predict("楼道里全是煤气味，快来人").emergency
    assert not m.predict("不是着火，是有人在烧垃圾，烟很大").emergency
    assert m.predict("谢谢你们，辛苦了").intent == "thanks"


def test_large_batches_are_chunked_in_order(tiny_model):
    texts = [f"{i}号楼下井盖没了" if i % 3 else "你好" for i in range(600)]
    batch = tiny_model.predict_batch(texts)
    assert len(batch) == 600
    for i in (0, 1, 255, 256, 257, 599):
        single = tiny_model.predict(texts[i])
        assert (batch[i].intent, batch[i].category) == (single.intent, single.category)
        assert [e.text for e in batch[i].entities] == [e.text for e in single.entities]
