"""Patterns of personal data: what the log redaction (gridbot/logs.py) and the retention
(dispatch/service/retention.py) remove."""

from __future__ import annotations

import re

# A mainland China mobile number: 1[3-9] and nine more digits, also written +86 138 1234 5678.
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
