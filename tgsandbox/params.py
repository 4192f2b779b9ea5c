"""Bot API request parameters: JSON bodies, query strings, url-encoded and multipart forms.

Telegram accepts every parameter as a string in forms (aiogram always sends multipart), and
as native JSON values in JSON bodies; this reads both the way the real server does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


class Params:
    def __init__(
        self, values: Mapping[str, Any] | None = None, uploads: Mapping[str, Upload] | None = None
    ) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.uploads: dict[str, Upload] = dict(uploads or {})

    def has(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != "" or name in self.uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            raise bad_request(f"parameter \"{name}\" must be a String")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"parameter \"{name}\" must be a Number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"parameter \"{name}\" must be a Number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(value)
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise bad_request(f"parameter \"{name}\" must be a Boolean")

    def json(self, name: str, what: str | None = None) -> Any:
        """A JSON-valued parameter (reply_markup, media, allowed_updates, commands...)."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what or name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool):
            raise bad_request("chat not found")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError:
            raise bad_request("chat not found") from None
