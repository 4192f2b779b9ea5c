"""Reading 12345 exports: encodings, XLSX, headers, times and messy rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dispatch.service.hotline_file import (
    HotlineFileError,
    ParsedRow,
    decode,
    parse_orders,
    parse_time,
    read_rows,
)

TZ = ZoneInfo("Asia/Shanghai")
HEADER = "工单编号,受理时间,诉求内容,事发地址,诉求类型,诉求人,来电号码,经度,纬度"
ROWS = [
    "HL-1,2026-11-05 09:13:22,来电人反映：五丰菜市场门口有人占道摆摊，要求相关部门尽快处理。,五丰菜市场,投诉,张先生,13800001111,,",
    "HL-2,2026/11/5 9:13,解放小区垃圾没人清运,解放小区,求助,,,115.0219,25.8312",
]


def parse(path: Path, columns: dict[str, str] | None = None) -> list[ParsedRow]:
    return list(parse_orders(read_rows(path), columns or {}, TZ))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_every_encoding_reads_the_same(tmp_path: Path, encoding: str) -> None:
    p = tmp_path / "orders.csv"
    p.write_bytes("\r\n".join([HEADER, *ROWS]).encode(encoding))
    rows = parse(p)
    assert [r.order.order_no for r in rows if r.order] == ["HL-1", "HL-2"]
    first = rows[0].order
    assert first is not None
    assert first.text.startswith("来电人反映：五丰菜市场")
    assert first.caller_name == "张先生" and first.caller_phone == "13800001111"
    assert first.received_at == datetime(2026, 11, 5, 1, 13, 22, tzinfo=UTC)
    assert rows[1].order is not None and rows[1].order.lat == 25.8312


def test_undecodable_bytes_are_a_file_error() -> None:
    assert decode("工单".encode("gb18030")) == "工单"
    with pytest.raises(HotlineFileError):
        decode(b"\xef\xbb\xbf\xff\xfe")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-05 09:13:22", datetime(2026, 11, 5, 9, 13, 22)),
        ("2026/11/5 9:13", datetime(2026, 11, 5, 9, 13)),
        ("2026-11-05T09:13", datetime(2026, 11, 5, 9, 13)),
        ("２０２６－１１－０５　０９：１３", datetime(2026, 11, 5, 9, 13)),  # full-width
        ("2026年11月5日 9时13分", datetime(2026, 11, 5, 9, 13)),
        ("20261105091322", datetime(2026, 11, 5, 9, 13, 22)),
        ("2026-11-05", datetime(2026, 11, 5)),
        (46331.5, datetime(2026, 11, 5, 12, 0)),  # an Excel serial date
        ("46331.5", datetime(2026, 11, 5, 12, 0)),
        (datetime(2026, 11, 5, 9, 13), datetime(2026, 11, 5, 9, 13)),
        (date(2026, 11, 5), datetime(2026, 11, 5)),
    ],
)
def test_times_are_china_time(value: Any, expected: datetime) -> None:
    assert parse_time(value, TZ) == expected.replace(tzinfo=TZ)


def test_an_explicit_offset_is_kept() -> None:
    assert parse_time("2026-11-05T01:13:00Z", TZ) == datetime(2026, 11, 5, 1, 13, tzinfo=UTC)


@pytest.mark.parametrize("value", ["昨天下午", "2026-13-05 09:00", "", None, "12", True])
def test_bad_times_are_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_time(value, TZ)


def test_messy_rows_are_reported_with_their_row_number(tmp_path: Path) -> None:
    p = tmp_path / "messy.csv"
    lines = [
        "青禾县12345工单导出（2026年11月）",  # a title line above the header
        " 工单编号 ,受理时间,诉求内容,事发地址,诉求类型,诉求人,来电号码,经度,纬度",
        "ＨＬ－１ , 2026-11-05 09:13 ,  路灯不亮了　 ,  人民路 ,投诉 ,,,,",  # full-width, spaces
        ",,,,,,,,",  # blank: skipped
        "HL-2,明天,有人摆摊,,投诉,,,,",  # bad time
        "HL-3,2026-11-05 09:13,,,投诉,,,,",  # no text
        "HL-4,2026-11-05 09:13,有人摆摊,,投诉,,,200,25",  # bad longitude
        "HL-5,2026-11-05 09:13,有人摆摊,,投诉,,,115.0,",  # half a point
        "'HL-6,2026-11-05 09:13,短行",  # missing cells are empty; Excel's text marker
    ]
    p.write_text("\n".join(lines), "utf-8")
    rows = parse(p)
    assert [(r.row, r.order_no if r.order is None else r.order.order_no, r.error is None) for r in rows] == [
        (1, "HL-1", True), (3, "HL-2", False), (4, "HL-3", False), (5, "HL-4", False),
        (6, "HL-5", False), (7, "HL-6", True),
    ]
    first = rows[0].order
    assert first is not None and first.text == "路灯不亮了" and first.address == "人民路" and first.kind == "投诉"
    assert "受理时间" in (rows[1].error or "") and "诉求内容" in (rows[2].error or "")
    assert "经度" in (rows[3].error or "") and "together" in (rows[4].error or "")


def test_columns_mapping_and_common_aliases(tmp_path: Path) -> None:
    p = tmp_path / "other.csv"
    p.write_text("单号,来电时间,问题描述,事件地址,联系电话\nA1,2026-11-05 09:13,路灯坏了,人民路,139\n", "utf-8")
    with pytest.raises(HotlineFileError, match="工单编号"):
        parse(p)
    rows = parse(p, {"单号": "工单编号"})
    order = rows[0].order
    assert order is not None
    assert (order.order_no, order.text, order.address, order.caller_phone) == ("A1", "路灯坏了", "人民路", "139")


def test_missing_required_column_is_a_file_error(tmp_path: Path) -> None:
    p = tmp_path / "short.csv"
    p.write_text("工单编号,诉求内容\nA1,路灯坏了\n", "utf-8")
    with pytest.raises(HotlineFileError, match="受理时间"):
        parse(p)


def test_xlsx_first_sheet_with_date_cells_and_numbers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.split(","))
    ws.append([202611050001, datetime(2026, 11, 5, 9, 13), "有人摆摊", "五丰菜市场", "投诉", "张", 13800001111,
               None, None])
    ws.append(["HL-2", 46331.5, "垃圾满了", None, None, None, None, 115.0219, 25.8312])
    ws.append([None] * 9)
    wb.create_sheet("other").append(["ignored"])
    p = tmp_path / "orders.xlsx"
    wb.save(p)
    rows = parse(p)
    assert [r.error for r in rows] == [None, None]
    a, b = rows[0].order, rows[1].order
    assert a is not None and b is not None
    assert a.order_no == "202611050001" and a.caller_phone == "13800001111"
    assert a.received_at == datetime(2026, 11, 5, 9, 13, tzinfo=TZ)
    assert b.received_at == datetime(2026, 11, 5, 12, 0, tzinfo=TZ) and b.lon == 115.0219


def test_an_unreadable_xlsx_is_a_file_error(tmp_path: Path) -> None:
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(HotlineFileError):
        read_rows(p)


def test_fingerprint_changes_with_any_field() -> None:
    from dataclasses import replace

    from dispatch.service.hotline_file import HotlineOrder

    o = HotlineOrder("A", datetime(2026, 11, 5, tzinfo=TZ), "路灯坏了")
    assert o.fingerprint() == replace(o).fingerprint()
    assert o.fingerprint() != replace(o, caller_phone="1").fingerprint()
    assert o.fingerprint() != replace(o, text="路灯不亮").fingerprint()


def test_header_decorations_and_other_delimiters(tmp_path: Path) -> None:
    p = tmp_path / "tabs.csv"
    p.write_text("工单编号*\t受理时间(北京时间)\t诉求内容【摘要】\n"
                 "A1\t2026-11-05 09:13\t有人摆摊，影响通行，请处理；谢谢\n", "utf-8")
    [row] = parse(p)
    assert row.order is not None and row.order.text == "有人摆摊，影响通行，请处理；谢谢"


@pytest.mark.parametrize("kind, dispatched", [
    ("投诉", True), ("求助", True), ("", True), ("其他", True), ("投诉类", True), ("投诉举报", True),
    ("咨询", False), ("建议", False), ("表扬", False), ("咨询类", False), ("意见建议", False), ("表扬感谢", False),
])
def test_which_types_are_dispatched(kind: str, dispatched: bool) -> None:
    from dispatch.service.hotline_file import HotlineOrder

    assert HotlineOrder("A", datetime(2026, 11, 5, tzinfo=TZ), "x", kind=kind).dispatched is dispatched


@pytest.mark.parametrize("lon, lat, expected", [
    ("115.02", "25.83", (25.83, 115.02)),
    ("25.83", "115.02", (25.83, 115.02)),  # swapped columns
    ("0", "0", (None, None)),  # "no point"
    ("", "", (None, None)),
])
def test_points(tmp_path: Path, lon: str, lat: str, expected: tuple[Any, Any]) -> None:
    p = tmp_path / "p.csv"
    p.write_text(f"{HEADER}\nA,2026-11-05 09:13,路灯坏了,,,,,{lon},{lat}\n", "utf-8")
    [row] = parse(p)
    assert row.order is not None and (row.order.lat, row.order.lon) == expected


def test_a_latitude_out_of_range_either_way_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text(f"{HEADER}\nA,2026-11-05 09:13,路灯坏了,,,,,115.0,120.0\n", "utf-8")
    [row] = parse(p)
    assert row.order is None and "纬度" in (row.error or "")
