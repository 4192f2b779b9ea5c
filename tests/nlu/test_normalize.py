from hypothesis import given
from hypothesis import strategies as st

from nlu.normalize import chinese_numeral_value, is_contentless, normalize


def test_full_width_to_half_width_and_lower_case():
    assert normalize("ＡＢＣ１２３，！").text == "abc123,!"


def test_traditional_to_simplified_keeps_length():
    n = normalize("後面的垃圾裡有個電線")
    assert n.text == "后面的垃圾里有个电线"
    assert n.starts is None  # length-preserving: no offset map needed


def test_control_characters_become_spaces():
    assert normalize("井盖\t没了\n快来\x00").text == "井盖 没了 快来 "


def test_zero_width_characters_are_deleted_with_offsets():
    original = "井\u200b盖没了"
    n = normalize(original)
    assert n.text == "井盖没了"
    start, end = n.span(0, 2)
    assert original[start:end] == "井\u200b盖"


def test_chinese_numerals_before_building_units():
    assert normalize("三号楼二单元").text == "3号楼2单元"
    assert normalize("十二栋").text == "12栋"
    assert normalize("二十三号楼").text == "23号楼"
    assert normalize("二零一室").text == "201室"
    assert normalize("十点").text == "十点"  # not a building number


def test_numeral_span_maps_to_whole_original_numeral():
    original = "住在二十三号楼"
    n = normalize(original)
    i = n.text.index("23号楼")
    s, e = n.span(i, i + len("23号楼"))
    assert original[s:e] == "二十三号楼"


def test_chinese_numeral_value():
    assert chinese_numeral_value("三") == 3
    assert chinese_numeral_value("十") == 10
    assert chinese_numeral_value("十二") == 12
    assert chinese_numeral_value("一百零五") == 105
    assert chinese_numeral_value("两") == 2
    assert chinese_numeral_value("甲") is None


def test_emoji_kept_by_default():
    assert normalize("着火了🔥").text == "着火了🔥"


def test_contentless():
    assert is_contentless("   ")
    assert is_contentless("😀😀!!")
    assert is_contentless("")
    assert not is_contentless("a")
    assert not is_contentless("井")


@given(st.text(max_size=60))
def test_span_is_monotone_and_in_bounds(text):
    n = normalize(text)
    prev = 0
    for i in range(len(n.text)):
        s, e = n.span(i, i + 1)
        assert 0 <= s <= e <= len(text)
        assert s >= prev
        prev = s
    assert n.span(0, len(n.text))[1] <= len(text)
