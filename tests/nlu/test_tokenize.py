import subprocess
import sys

import pytest

from nlu.tokenize import Tokenizer

TEXTS = [
    "五丰菜市场门口有人占道经营",
    "渣土车撒了一路的泥",
    "楼道里有人飞线充电",
    "餐馆油烟直排熏得受不了",
    "井盖没了 abc 123 x-y 3.5元 hello世界",
    "市民反映:建设路与文化街交叉口西南角人行道上长期停放多辆私家车",
]


@pytest.fixture(scope="module")
def tok():
    return Tokenizer.build(TEXTS)


def test_domain_words_stay_one_token(tok):
    assert "占道经营" in tok.cut("五丰菜市场门口有人占道经营")
    assert "渣土车" in tok.cut("渣土车撒了一路的泥")
    assert "飞线充电" in tok.cut("楼道里有人飞线充电")
    assert "油烟直排" in tok.cut("餐馆油烟直排熏得受不了")


def test_add_words_keeps_place_names_whole(tok):
    assert "五丰菜市场" not in tok.cut("五丰菜市场门口有人占道经营")
    tok.add_words(["五丰菜市场"])
    assert "五丰菜市场" in tok.cut("五丰菜市场门口有人占道经营")


def test_fast_cut_equals_jieba(tok):
    for t in TEXTS + ["", "   ", "!!!", "a", "㐀㐁测试", "100米外"]:
        assert tok.cut(t) == tok.jieba_cut(t), t


def test_only_content_tokens(tok):
    assert all(t.strip() and t not in ",.!" for t in tok.cut("井盖,没了!! 快来"))


def test_save_load_round_trip(tok, tmp_path):
    tok.save(tmp_path)
    loaded = Tokenizer.load(tmp_path)
    for t in TEXTS:
        assert loaded.cut(t) == tok.cut(t)
    assert (tmp_path / "userdict.txt").read_text(encoding="utf-8").strip()


def test_jieba_import_skips_pkg_resources():
    code = "import sys; from nlu.tokenize import import_jieba; import_jieba(); " \
           "print('pkg_resources' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_pieces_of_a_message_reuse_its_segmentation(tok, monkeypatch):
    """A clause of a several-problem message is cut from the message's own blocks."""
    message = "楼下垃圾桶满了这个先不说，主要是消防通道又被堵了，另外路灯也坏了 abc"
    memo: dict[str, list[str]] = {}
    assert tok.cut(message, memo) == tok.cut(message)
    assert memo  # every block of the message, with its tokens
    cut = []
    original = tok._cut_block
    monkeypatch.setattr(tok, "_cut_block", lambda s, out: (cut.append(s), original(s, out)))
    for clause in ("主要是消防通道又被堵了", "另外路灯也坏了 abc", "另外路灯也坏了，还有井盖"):
        assert tok.cut(clause, memo) == tok.jieba_cut(clause)
    assert cut == ["还有井盖"]  # only the block the message did not have
