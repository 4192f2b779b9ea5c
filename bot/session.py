"""aiogram's HTTP session, sending JSON bodies when there is no file to upload.

aiogram builds a multipart form for every Bot API call; the Bot API also takes
`application/json` bodies for every method except file uploads. Building and parsing a
multipart form for a two-field sendMessage is most of a call's client-side cost (about
a tenth of the bot's CPU per report in `gridbot bench bot`). Calls that carry an
`InputFile` still go as multipart, through aiogram's own code.

Two more shortcuts, both giving exactly what aiogram's own code gives:

* the body: a method whose fields are plain values and aiogram objects (a keyboard) is
  read field by field, each object dumped without its `None`s, instead of
  `model_dump()` of the whole method (pydantic's union serializer for `reply_markup` and
  the hundred-odd `None`s of a keyboard's buttons are most of that cost); anything else
  (dates, lists, enums, extra fields) goes through `model_dump()` as before;
* the answer: a successful answer is validated from the raw JSON text in one pass
  (`model_validate_json`) into the same aiogram types; anything else (an error, a body
  that does not validate) goes through aiogram's `check_response`, which raises what it
  always raised. A getUpdates answer with an update that does not validate keeps the
  others (bot/unreadable.py)."""

from __future__ import annotations

import json
from functools import partial
from http import HTTPStatus
from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

from bot.unreadable import lenient_updates

_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
_HEADERS = {"Content-Type": "application/json"}
_AS_IS = frozenset({str, int, float, bool, Default})  # what model_dump() hands back unchanged
_FIELDS: dict[type, tuple[str, ...]] = {}
_MISSING = object()
_RESPONSES: dict[type, Any] = {}


def _field_values(method: TelegramMethod[Any]) -> dict[str, Any] | None:
    """What `method.model_dump()` gives, minus `None`s and with aiogram objects already
    dumped without theirs; None when a field needs pydantic's own serializer."""
    if method.__pydantic_extra__:
        return None
    cls = type(method)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(cls.model_fields)
    values = method.__dict__
    out: dict[str, Any] = {}
    for name in names:
        value = values.get(name, _MISSING)
        if value is None:
            continue
        kind = type(value)
        if kind in _AS_IS:
            out[name] = value
        elif isinstance(value, TelegramObject) and kind.__module__.startswith("aiogram.types."):
            out[name] = value.model_dump(warnings=False, exclude_none=True)
        else:  # (_MISSING too)
            return None
    return out


class JsonAiohttpSession(AiohttpSession):
    def _prepare(self, value: Any, bot: Bot, files: dict[str, Any]) -> Any:
        """`prepare_value(value, _dumps_json=False)`, without its isinstance ladder for the
        plain JSON values a body is mostly made of."""
        kind = type(value)
        if kind is str or kind is int or kind is bool or kind is float or value is None:
            return value
        if kind is dict:
            out = {}
            for key, item in value.items():
                prepared = self._prepare(item, bot, files)
                if prepared is not None:
                    out[key] = prepared
            return out
        if kind is list:
            return [p for item in value if (p := self._prepare(item, bot, files)) is not None]
        return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)

    def json_payload(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The method's parameters as a JSON object, or None when it uploads files."""
        files: dict[str, Any] = {}
        payload: dict[str, Any] = {}
        fields = _field_values(method)
        if fields is None:
            fields = method.model_dump(warnings=False)
        for key, value in fields.items():
            prepared = self._prepare(value, bot, files)
            if prepared is None or prepared == "":
                continue
            payload[key] = prepared
        return None if files else payload

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED and self.json_loads is json.loads:
            cls = type(method)
            model = _RESPONSES.get(cls)
            if model is None:
                model = _RESPONSES[cls] = Response[method.__returning__]  # type: ignore[name-defined]
            try:
                response = model.model_validate_json(content, context={"bot": bot})
            except ValidationError:
                if cls is GetUpdates and (updates := lenient_updates(content, bot)) is not None:
                    return cast(Response[TelegramType], Response[list[Update]](ok=True, result=updates))
                # otherwise aiogram's own check says what is wrong
            else:
                if response.ok:
                    return cast(Response[TelegramType], response)
        return super().check_response(bot=bot, method=method, status_code=status_code, content=content)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        payload = self.json_payload(bot, method)
        if payload is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=_dumps(payload).encode(),
                headers=_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result)
        return cast(TelegramType, response.result)
