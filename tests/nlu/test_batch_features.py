"""The chunk's char n-grams looked up at once are each message's `ids()`, whatever the text."""

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ALPHABET = list("井盖没了路灯坏摆摊垃圾abcXYZ019 \t\n\u3000\u00a0\u2028\x1c\x85😀\ud800·,，。") + ["\U00020000"]
texts = st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40) | st.text(max_size=30), max_size=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=texts)
def test_batch_char_ids_are_each_documents_ids(tiny_model, docs):
    features = tiny_model.features
    doc, col = features.batch_char_ids(docs)
    got = [Counter() for _ in docs]
    for d, c in zip(doc.tolist(), col.tolist(), strict=True):
        got[d][c] += 1
    assert got == [Counter(features.ids((), t)[1]) for t in docs]


def test_long_documents_are_cut_as_ids_cuts_them(tiny_model):
    features = tiny_model.features
    docs = ["垃圾" * 700, "路灯 坏了" * 300, ""]
    doc, col = features.batch_char_ids(docs)
    assert [Counter(col[doc == i].tolist()) for i in range(3)] == [Counter(features.ids((), t)[1]) for t in docs]


def test_batch_predictions_equal_single_batches(tiny_model):
    texts = ["菜市场门口有人摆摊", "", "😀😀", "garbage everywhere 垃圾", "楼下垃圾桶满了这个先不说，主要是消防通道又被堵了，另外路灯也坏了",
             "\ud800井盖没了", "abc def", "三号楼 12栋 电话13812345678"] * 3
    together = [p.as_dict() for p in tiny_model.predict_batch(texts)]
    assert together == [tiny_model.predict_batch([t])[0].as_dict() for t in texts]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.integers(0, 40)), chars=st.lists(st.integers(41, 90)))
def test_weigh_one_is_sublinear_tf_idf_bit_for_bit(tiny_model, words, chars):
    import math

    features = tiny_model.features
    idf = features.idf.tolist()
    want_idx, want_val = [], []
    for block, weight in ((words, features.word_weight), (chars, features.char_weight)):
        if block:
            counts = Counter(block)
            vs = [(1.0 + math.log(c)) * idf[j] for j, c in counts.items()]
            scale = weight / math.sqrt(sum(v * v for v in vs))
            want_idx += list(counts)
            want_val += [v * scale for v in vs]
    assert features.weigh_one((words, chars)) == (want_idx, want_val)
