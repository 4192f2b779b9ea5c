"""Human case numbers: PREFIX-YYYYMMDD-NNNN, unique and sortable."""

from __future__ import annotations

import re
from datetime import date

CASE_NUMBER_RE = re.compile(r"\b([A-Z]{1,6})-(\d{8})-(\d{4,6})\b")


def format_case_number(prefix: str, day: date, seq: int) -> str:
    if seq < 1:
        raise ValueError("sequence starts at 1")
    return f"{prefix}-{day:%Y%m%d}-{seq:04d}"


def find_case_numbers(text: str) -> list[str]:
    """Case numbers mentioned in free text (upper-cased, so 'qh-20261123-0042' counts)."""
    return ["-".join(m.groups()) for m in CASE_NUMBER_RE.finditer(text.upper())]
