"""Bot API errors, shaped like Telegram's: ``{"ok": false, "error_code", "description"}``."""

from __future__ import annotations

from typing import Any


class BotAPIError(Exception):
    """A Bot API call that fails the way Telegram fails it."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str, parameters: dict[str, Any] | None = None) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {what}", parameters)


def forbidden(what: str) -> BotAPIError:
    return BotAPIError(403, f"Forbidden: {what}")


def too_many_requests(retry_after: int) -> BotAPIError:
    return BotAPIError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def conflict(what: str) -> BotAPIError:
    return BotAPIError(409, f"Conflict: {what}")


UNAUTHORIZED = BotAPIError(401, "Unauthorized")
NOT_FOUND = BotAPIError(404, "Not Found")
INTERNAL = BotAPIError(500, "Internal Server Error")

CHAT_NOT_FOUND = "chat not found"
TEXT_EMPTY = "message text is empty"
TEXT_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
