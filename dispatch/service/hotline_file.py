"""Reading a 12345 export: CSV (UTF-8, UTF-8 with BOM or GB18030, detected) or XLSX (first
sheet) into work orders, one per data row, each bad row with its row number and the reason.

Rows are numbered from 1 after the header, as a spreadsheet shows them (row N is line N + 1
when the header is the first line); blank rows are skipped without a number of their own being
reused. Title lines above the header (some systems write one) are skipped: the header is the
first of the first ten rows that names the order-number column."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ORDER_NO = "工单编号"
RECEIVED = "受理时间"
TEXT = "诉求内容"
ADDRESS = "事发地址"
KIND = "诉求类型"
CALLER = "诉求人"
PHONE = "来电号码"
LON = "经度"
LAT = "纬度"
COLUMNS = (ORDER_NO, RECEIVED, TEXT, ADDRESS, KIND, CALLER, PHONE, LON, LAT)
REQUIRED = (ORDER_NO, RECEIVED, TEXT)
# Names other 12345 systems use for the same columns, taken when the default is absent.
ALIASES: dict[str, str] = {
    "工单号": ORDER_NO, "工单编码": ORDER_NO, "受理编号": ORDER_NO,
    "来电时间": RECEIVED, "受理日期": RECEIVED, "登记时间": RECEIVED,
    "诉求描述": TEXT, "问题描述": TEXT, "工单内容": TEXT, "来电内容": TEXT,
    "事件地址": ADDRESS, "发生地址": ADDRESS, "地址": ADDRESS, "事发地点": ADDRESS,
    "工单类型": KIND, "诉求分类": KIND, "来电类型": KIND,
    "来电人": CALLER, "诉求人姓名": CALLER, "来电人姓名": CALLER, "联系人": CALLER,
    "联系电话": PHONE, "来电人电话": PHONE, "诉求人电话": PHONE, "电话": PHONE,
}
# 诉求类型 recorded without a case (they ask or praise; nothing to handle). Any other value,
# or none, is a problem to handle: dispatched.
RECORDED_KINDS = frozenset({"咨询", "建议", "表扬", "感谢"})
DISPATCHED_KINDS = frozenset({"投诉", "求助", "举报"})
MAX_TEXT = 4000
HEADER_SEARCH_ROWS = 10
EXCEL_EPOCH = datetime(1899, 12, 30)


class HotlineFileError(Exception):
    """The file itself cannot be read (nothing is imported)."""


@dataclass(frozen=True, slots=True)
class HotlineOrder:
    order_no: str
    received_at: datetime  # aware
    text: str
    address: str | None = None
    kind: str = ""
    caller_name: str | None = None
    caller_phone: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def dispatched(self) -> bool:
        """投诉 / 求助 (and 投诉类, 求助件, 投诉举报…), an empty or unknown type: a problem to handle.
        咨询 / 建议 / 表扬 / 感谢 (and 咨询类, 意见建议, 表扬感谢…): recorded."""
        if any(k in self.kind for k in DISPATCHED_KINDS):
            return True
        return not any(k in self.kind for k in RECORDED_KINDS)

    def fingerprint(self) -> str:
        """Identical for a re-sent row that changes nothing."""
        doc = asdict(self)
        doc["received_at"] = self.received_at.isoformat()
        raw = json.dumps(doc, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def place_key(self) -> tuple[str, str | None, float | None, float | None]:
        """What classification and routing depend on."""
        return (self.text, self.address, self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row: int
    order: HotlineOrder | None
    order_no: str | None = None
    error: str | None = None


# -- decoding --------------------------------------------------------------------------------
def decode(raw: bytes) -> str:
    """BOM → UTF-8; valid UTF-8; else GB18030 (a superset of GBK and GB2312)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HotlineFileError(f"a UTF-8 BOM, but invalid UTF-8 at byte {exc.start + 3}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise HotlineFileError(f"neither UTF-8 nor GB18030 (byte {exc.start})") from None


def _csv_rows(raw: bytes) -> list[list[Any]]:
    text = decode(raw)
    if "\x00" in text:
        raise HotlineFileError("not a CSV file (NUL bytes); XLSX files need the .xlsx format")
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))]
    except csv.Error as exc:
        raise HotlineFileError(f"not valid CSV: {exc}") from None


def _delimiter(text: str) -> str:
    """Comma, tab, semicolon or bar: the one that splits the first lines into most columns
    (commas inside the Chinese text do not mislead it: quoted fields stay whole)."""
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    best, widest = ",", 1
    for d in (",", "\t", ";", "|"):
        try:
            width = max((len(r) for r in csv.reader(io.StringIO(head), delimiter=d)), default=0)
        except csv.Error:
            continue
        if width > widest:
            best, widest = d, width
    return best


def _xlsx_rows(raw: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise HotlineFileError(f"not a readable XLSX workbook: {exc}") from None
    try:
        sheet = wb.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        wb.close()


def read_rows(path: Path) -> list[list[Any]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HotlineFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(raw)
    return _csv_rows(raw)


# -- cells -----------------------------------------------------------------------------------
def norm_text(value: Any) -> str:
    """A cell as text: full-width forms folded (NFKC), spaces trimmed and collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", s).strip()


def norm_header(value: Any) -> str:
    """`工单编号*`, ` 受理时间 `, `受理时间(北京时间)` → the bare name."""
    bare = re.sub(r"\s+", "", norm_text(value))
    return re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", bare).strip("*:：")


_DATETIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:时点](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?秒?)?分?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$")


def parse_time(value: Any, tz: ZoneInfo) -> datetime:
    """受理时间: `2026-11-05 09:13:22`, `2026/11/5 9:13`, `2026-11-05T09:13`, `2026年11月5日 9时13分`,
    `20261105091322`, an Excel date cell or serial number; China time unless an offset is given."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(), tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value), tz)
    s = norm_text(value)
    if not s:
        raise ValueError(f"{RECEIVED} is empty")
    m = _DATETIME.match(s) or _COMPACT.match(s)
    if m is None:
        try:
            return _excel_serial(float(s), tz)
        except ValueError:
            raise ValueError(f"{RECEIVED} {s!r} is not a time (e.g. 2026-11-05 09:13:22)") from None
    parts = m.groups()
    y, mo, d, h, mi, sec = (int(p) if p else 0 for p in parts[:6])
    try:
        naive = datetime(y, mo, d, h, mi, sec)
    except ValueError:
        raise ValueError(f"{RECEIVED} {s!r} is not a valid date and time") from None
    offset = parts[6] if len(parts) > 6 else None
    if offset:
        return datetime.fromisoformat(naive.isoformat() + ("+00:00" if offset == "Z" else offset))
    return naive.replace(tzinfo=tz)


def _excel_serial(days: float, tz: ZoneInfo) -> datetime:
    if not math.isfinite(days) or not 20000 <= days <= 80000:  # 1954 … 2119
        raise ValueError(f"{RECEIVED} {days!r} is not a time")
    naive = EXCEL_EPOCH + timedelta(days=days)
    return naive.replace(microsecond=0, tzinfo=tz) + timedelta(seconds=round(naive.microsecond / 1e6))


def _coordinate(value: Any, name: str, low: float, high: float) -> float | None:
    s = norm_text(value)
    if not s:
        return None
    try:
        f = float(s)
    except ValueError:
        raise ValueError(f"{name} {s!r} is not a number") from None
    if not math.isfinite(f) or not low <= f <= high:
        raise ValueError(f"{name} {s!r} is out of range")
    return f


# -- rows ------------------------------------------------------------------------------------
def header_map(cells: list[Any], columns: Mapping[str, str]) -> dict[str, int]:
    """Our column → its index. `columns` maps the file's headers onto ours."""
    mapping = {norm_header(k): v for k, v in columns.items()}
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        h = norm_header(cell)
        ours = mapping.get(h) or (h if h in COLUMNS else None)
        if ours is not None and ours not in found:
            found[ours] = i
    for i, cell in enumerate(cells):  # aliases only where the column is still missing
        ours = ALIASES.get(norm_header(cell), "")
        if ours and ours not in found and i not in found.values():
            found[ours] = i
    return found


def parse_row(cells: Mapping[str, Any], tz: ZoneInfo) -> HotlineOrder:
    order_no = norm_text(cells.get(ORDER_NO)).lstrip("'")  # Excel's text marker
    if not order_no:
        raise ValueError(f"{ORDER_NO} is empty")
    if len(order_no) > 64:
        raise ValueError(f"{ORDER_NO} longer than 64 characters")
    received = parse_time(cells.get(RECEIVED), tz)
    raw_text = cells.get(TEXT)
    text = re.sub(r"[ \t\u3000]+", " ", str(raw_text)).strip() if raw_text is not None else ""
    if not text:
        raise ValueError(f"{TEXT} is empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{TEXT} longer than {MAX_TEXT} characters")
    lon = _coordinate(cells.get(LON), LON, -180, 180)
    lat = _coordinate(cells.get(LAT), LAT, -180, 180)
    if (lat is None) != (lon is None):
        raise ValueError(f"{LON} and {LAT} must be given together")
    if lat is not None and lon is not None:
        if lat == 0 and lon == 0:  # some systems write 0, 0 for "no point"
            lat = lon = None
        elif abs(lat) > 90:
            if abs(lon) > 90:
                raise ValueError(f"{LAT} {lat} is out of range")
            lat, lon = lon, lat  # the columns were swapped
    address = norm_text(cells.get(ADDRESS))[:500] or None
    return HotlineOrder(
        order_no=order_no,
        received_at=received,
        text=text,
        address=address,
        kind=re.sub(r"\s+", "", norm_text(cells.get(KIND)))[:16],
        caller_name=norm_text(cells.get(CALLER))[:100] or None,
        caller_phone=re.sub(r"\s+", "", norm_text(cells.get(PHONE))).lstrip("'")[:40] or None,
        lat=lat,
        lon=lon,
    )


def parse_orders(rows: list[list[Any]], columns: Mapping[str, str], tz: ZoneInfo) -> Iterator[ParsedRow]:
    """Each data row as an order, or its error. Raises HotlineFileError when no header names
    the required columns."""
    header_at, found = -1, {}
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = header_map(cells, columns)
        if ORDER_NO in found:
            header_at = i
            break
    if header_at < 0:
        raise HotlineFileError(
            f"no header row naming {ORDER_NO} (a --columns mapping names other headers)"
        )
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise HotlineFileError(f"missing column(s): {', '.join(missing)}")
    for number, cells in enumerate(rows[header_at + 1:], start=1):
        if all(norm_text(c) == "" for c in cells):
            continue
        named = {col: cells[i] if i < len(cells) else None for col, i in found.items()}
        try:
            yield ParsedRow(number, parse_row(named, tz))
        except ValueError as exc:
            yield ParsedRow(number, None, norm_text(named.get(ORDER_NO)) or None, str(exc))
