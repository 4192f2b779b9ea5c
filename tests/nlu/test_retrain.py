"""Learning from corrections behind a gate: a poisoned batch is refused, a clean useful one
activated; the manifest keeps the comparison; rollback restores; live models follow."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

import pytest

from nlu.corpus import REPORT, Example, load_examples

ROOT = Path(__file__).resolve().parents[2]
PER_LABEL_TRAIN = 30
PER_CAT_DEV = 12


def _write_jsonl(path: Path, examples: list[Example]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for e in examples:
            obj = {"text": e.text, "intent": e.intent, "emergency": bool(e.emergency)}
            if e.intent == REPORT:
                obj["category"] = e.category
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small corpus and dev set cut from the real ones, corrections from the rest of the
    corpus (clean, and the same texts with wrong labels), and a model on the small corpus."""
    from nlu.artifact import save_model
    from nlu.train import TrainConfig, train

    tmp = tmp_path_factory.mktemp("retrain")
    train_dir = ROOT / "nlu/data/train"
    by_label: dict[str, list[Example]] = defaultdict(list)
    for e in load_examples(sorted(train_dir.glob("part*.yml")) + [train_dir / "intents.yml"]):
        by_label[e.label].append(e)
    corpus = [e for exs in by_label.values() for e in exs[:PER_LABEL_TRAIN]]
    # corrections in a style the small corpus lacks: problems told by their effects
    clean = load_examples([train_dir / "indirect.yml"])
    cats = sorted({e.category for e in clean})
    wrong = {c: cats[(i + 5) % len(cats)] for i, c in enumerate(cats)}
    poisoned = [Example(e.text, REPORT, wrong[e.category or ""], None) for e in clean]
    dev_by: dict[str, list[Example]] = defaultdict(list)
    for e in load_examples([ROOT / "nlu/data/dev"]):
        if e.intent == REPORT and len(dev_by[e.label]) < PER_CAT_DEV:
            dev_by[e.label].append(e)
    dev = [e for exs in dev_by.values() for e in exs]
    cfg = TrainConfig(folds=3)
    baseline = tmp / "baseline"
    save_model(train(corpus, cfg), baseline)
    return {
        "corpus": _write_jsonl(tmp / "corpus.jsonl", corpus),
        "dev": _write_jsonl(tmp / "dev.jsonl", dev),
        "clean": clean, "poisoned": poisoned, "cfg": cfg, "baseline": baseline,
    }


def _run(world, store: Path, corrections: list[Example]):
    from nlu.artifact import load_model_dir
    from nlu.retrain import retrain

    return retrain(store, corrections, train_paths=[world["corpus"]], dev_paths=[world["dev"]],
                   current=load_model_dir(world["baseline"]), current_name="baseline",
                   cfg=world["cfg"])


def test_a_poisoned_batch_is_refused(world, tmp_path):
    from nlu.store import active_dir, read_state

    store = tmp_path / "nlu-models"
    r = _run(world, store, world["poisoned"])
    assert not r.accepted
    assert any(reason.startswith("dev category_macro_f1") for reason in r.reasons), r.reasons
    assert active_dir(store) is None  # still the model that was running
    meta = json.loads((store / r.version / "metadata.json").read_text("utf-8"))
    assert meta["retrain"]["accepted"] is False
    dev = meta["retrain"]["sets"]["dev"]["category_macro_f1"]
    assert dev["candidate"] < dev["current"] - 0.01
    # it did learn its own wrong labels: the held-back slice alone would not have caught it
    held = meta["retrain"]["sets"]["held_back"]["label_accuracy"]
    assert held["candidate"] > held["current"]
    assert read_state(store).last_retrain is not None


def test_a_clean_batch_is_activated_and_rollback_restores(world, tmp_path):
    import shutil

    from nlu.store import activate, active_dir, read_state, rollback

    store = tmp_path / "nlu-models"
    r = _run(world, store, world["clean"])
    assert r.accepted, r.summary()
    assert active_dir(store) == store / r.version
    meta = json.loads((store / r.version / "metadata.json").read_text("utf-8"))
    cmp = meta["retrain"]
    assert cmp["accepted"] and cmp["current"] == "baseline"
    assert cmp["trained_on"] + cmp["held_back"] == len(world["clean"]) and cmp["held_back"] > 0
    held = cmp["sets"]["held_back"]["label_accuracy"]
    assert held["candidate"] >= held["current"]
    assert set(cmp["sets"]["dev"]) == {"category_macro_f1", "emergency_recall"}
    # a second model activated, then roll back twice: the first, then the shipped one
    shutil.copytree(store / r.version, store / "v2")
    activate(store, "v2")
    assert active_dir(store) == store / "v2"
    assert rollback(store).active == r.version
    assert active_dir(store) == store / r.version
    assert rollback(store).active is None
    assert active_dir(store) is None and read_state(store).previous == []


def test_the_split_is_stable_and_keeps_a_held_back_slice():
    from nlu.retrain import split_corrections

    exs = [Example(f"第{i}号楼下垃圾没人收", REPORT, "garbage") for i in range(50)]
    train, held = split_corrections(exs)
    assert 3 <= len(held) <= 20 and len(train) + len(held) == 50
    # the side depends on the text only, not on the order or the rest of the batch
    assert {e.text for e in split_corrections(list(reversed(exs)))[1]} == {e.text for e in held}
    assert {e.text for e in split_corrections(exs[:25])[1]} == {e.text for e in held if e in exs[:25]}
    two = split_corrections(exs[:2])
    assert len(two[1]) == 1


def test_live_model_follows_activation_and_rollback(tiny_model_dir, tmp_path):
    import shutil

    from gridbot.config_watch import reload_nlu_models
    from nlu.live import LiveModel
    from nlu.store import activate, rollback

    store = tmp_path / "nlu-models"
    live = LiveModel(store, tiny_model_dir)
    live.add_places(["青禾大道"])
    assert live.directory == tiny_model_dir and not live.check()
    shutil.copytree(tiny_model_dir, store / "v1")
    activate(store, "v1")
    assert asyncio.run(reload_nlu_models()) >= 1
    assert live.directory == store / "v1"
    assert live.predict("青禾大道上垃圾桶满了没人清运").category == "garbage"
    assert "青禾大道" in [e.text for e in live.predict("青禾大道路灯不亮了").entities]  # places kept
    rollback(store)
    assert live.check() and live.directory == tiny_model_dir


def test_cli_retrain_refuses_poison_with_status_3_and_rollback(world, tmp_path, monkeypatch):
    import shutil

    from typer.testing import CliRunner

    from gridbot.cli import app
    from nlu.store import activate, store_dir

    monkeypatch.setenv("GRIDBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GRIDBOT_NLU_MODEL", raising=False)
    store = store_dir(tmp_path)
    shutil.copytree(world["baseline"], store / "v0")
    activate(store, "v0")
    poison = _write_jsonl(tmp_path / "poison.jsonl", world["poisoned"])
    runner = CliRunner()
    args = ["nlu", "retrain", "-q", "--corrections", str(poison), "--data", str(world["corpus"]),
            "--dev", str(world["dev"])]
    r = runner.invoke(app, args)
    assert r.exit_code == 3, r.output
    assert "REFUSED" in r.output and "category_macro_f1" in r.output
    r = runner.invoke(app, ["nlu", "rollback"])
    assert r.exit_code == 0 and "shipped" in r.output
    r = runner.invoke(app, ["nlu", "rollback"])
    assert r.exit_code == 1 and "already in use" in r.output


def test_if_due_counts_days_since_the_last_retrain():
    from datetime import UTC, datetime

    from gridbot.cli.nlu_retrain import _due

    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    assert _due(None, 7, now)
    assert not _due("2026-11-05T12:00:00+00:00", 7, now)
    assert _due("2026-11-03T12:00:00+00:00", 7, now)
