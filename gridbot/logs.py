"""Logging of every process: text locally, one JSON object per line in production
(`GRIDBOT_LOG_FORMAT=json`), and never a token, a secret or a phone number in either.

A JSON line holds `time` (UTC, ISO 8601), `level`, `logger`, `message`, and — when the line
concerns them — `case` (the case number) and `update_id`, from the context variables the
update handler, the case service and the relay set (dispatch/observe/context.py); `exc` holds
a traceback. The redaction runs on the finished text of every line, traceback included
(docs/deployment.md lists what it removes)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO

from dispatch.observe import context
from dispatch.observe.personal import MOBILE
from dispatch.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/bot[^/\s]+/"), "/bot***/"),  # the token in Bot API URLs, whatever its shape
    (re.compile(r"\d+:[A-Za-z0-9_-]{35}"), "***token***"),  # a bot token anywhere
    (MOBILE, "***phone***"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),  # a password in a URL
    (re.compile(r"(?i)((?:secret|password|passwd|token|api_key)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,]+"),
     r"\1***"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without bot tokens, Chinese mobile numbers, URL passwords, `secret=…`-style values
    and the given secrets."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "***")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats a record (text or JSON), then redacts the whole line."""

    def __init__(self, *, json_lines: bool, secrets: Iterable[str] = ()) -> None:
        super().__init__(TEXT_FORMAT)
        self.json_lines = json_lines
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        case, update = context.case_number.get(), context.update_id.get()
        if not self.json_lines:
            line = super().format(record)
            about = " ".join(x for x in (f"case={case}" if case else "",
                                         f"update={update}" if update is not None else "") if x)
            return redact(f"{line} [{about}]" if about else line, self.secrets)
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if case:
            doc["case"] = case
        if update is not None:
            doc["update_id"] = update
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exc"] = record.exc_text
        return redact(json.dumps(doc, ensure_ascii=False), self.secrets)


def known_secrets(settings: Settings) -> list[str]:
    """The configured values no log line may show."""
    from sqlalchemy.engine import make_url

    found = [s.get_secret_value() for s in (settings.telegram_bot_token, settings.webhook_secret) if s]
    for url in (settings.database_url, settings.redis_url):
        if url:
            try:
                password = make_url(url).password
            except Exception:  # not a URL SQLAlchemy reads: the URL pattern still applies
                continue
            if password:
                found.append(str(password))
    return found


def setup_logging(settings: Settings, level: int | str | None = None, stream: IO[str] | None = None) -> None:
    """One handler on the root logger (`stream`, default stderr), in the configured format,
    redacting. Uvicorn's and aiogram's loggers propagate to it."""
    fmt = settings.log_format.strip().lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"GRIDBOT_LOG_FORMAT must be text or json, not {settings.log_format!r}")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(json_lines=fmt == "json", secrets=known_secrets(settings)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if level is not None else settings.log_level.upper())
    if root.level > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # its start-up chatter
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # no handlers of their own
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
