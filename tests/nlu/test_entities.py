from hypothesis import given
from hypothesis import strategies as st

from nlu.entities import EntityExtractor
from nlu.normalize import normalize


def ents(text, places=()):
    found = EntityExtractor(places).extract(normalize(text))
    for e in found:
        assert text[e.start:e.end] == e.text, e
    return [(e.type, e.text) for e in found]


def test_plates():
    assert ("plate", "赣B·3K127") in ents("车牌赣B·3K127停在门口")
    assert ("plate", "赣B3K127") in ents("赣B3K127又来了")
    assert ("plate", "粤B·D12345") in ents("新能源车粤B·D12345")
    assert ("plate", "湘a12345") in ents("湘a12345小轿车")
    assert ("plate", "京Ａ·１２３４５") in ents("京Ａ·１２３４５")  # full-width


def test_phones():
    assert ("phone", "13812345678") in ents("电话13812345678")
    assert ("phone", "138-1234-5678") in ents("打138-1234-5678")
    assert ("phone", "0791-88123456") in ents("座机0791-88123456")
    assert ents("编号123456789012345") == [] or all(t != "phone" for t, _ in ents("编号123456789012345"))


def test_times():
    assert ("time", "昨晚十点") in ents("昨晚十点还在施工")
    assert ("time", "每天早上六点") in ents("每天早上六点就开始吵")
    assert ("time", "下午3点半") in ents("下午3点半有人摆摊")
    assert ("time", "凌晨") in ents("凌晨有渣土车")
    assert not any(t == "time" for t, _ in ents("声音小一点"))


def test_house_numbers():
    assert ("house_number", "3栋2单元501") in ents("锦绣家园3栋2单元501漏水")
    assert ("house_number", "三号楼") in ents("住在三号楼")
    assert ("house_number", "5号楼") in ents("幸福里小区5号楼")


def test_places_from_patterns_and_gazetteer():
    got = ents("建设路与文化街交叉口有人摆摊")
    assert ("place", "建设路") in got and ("place", "文化街") in got
    assert ("place", "五丰菜市场") in ents("五丰菜市场北门", places=["五丰菜市场"])
    assert ("place", "和平街") in ents("和平街与胜利路交口")
    assert not any(t == "place" for t, _ in ents("路灯不亮"))


def test_offsets_survive_deletions_and_numerals():
    text = "住\u200b在二十三号楼，电话 13812345678"
    got = ents(text)
    assert ("house_number", "二十三号楼") in got
    assert ("phone", "13812345678") in got


@given(st.text(alphabet=st.sampled_from(list("建设路3号楼栋单元赣B·12345昨晚十点\u200b三二 ，电话138")), max_size=40))
def test_offsets_always_match_original(text):
    for e in EntityExtractor(["建设路"]).extract(normalize(text)):
        assert text[e.start:e.end] == e.text
        assert 0 <= e.start < e.end <= len(text)
