"""GeoReport v2 bodies in JSON or XML, and the spec's error format."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from starlette.responses import Response

FORMATS = ("json", "xml")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"


class ApiError(Exception):
    """An error answered as `[{"code": …, "description": …}]` with that HTTP status."""

    def __init__(self, status: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.status, self.description, self.fmt = status, description, fmt


def split_format(name: str) -> tuple[str, str]:
    """`requests.json` → ("requests", "json"); an unknown or missing format is a 400/404."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or not stem:
        raise ApiError(404, f"not found: {name!r} (add .json or .xml)")
    if fmt.lower() not in FORMATS:
        raise ApiError(400, f"format {fmt!r} is not supported (json or xml)")
    return stem, fmt.lower()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _fill(parent: ET.Element, obj: Mapping[str, Any]) -> None:
    for key, value in obj.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            item = key[:-1] if key.endswith("s") else "item"
            for v in value:
                _fill(ET.SubElement(child, item), v)
        else:
            child.text = _text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """A list under `<root><item>…</item>…</root>`, or one object as `<root>…</root>`."""
    top = ET.Element(root)
    if item is None:
        _fill(top, data)
    else:
        for obj in data:
            _fill(ET.SubElement(top, item), obj)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")


def render(data: Any, fmt: str, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status, media_type=XML_TYPE)
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status, media_type=JSON_TYPE)


def render_error(error: ApiError, headers: Mapping[str, str] | None = None) -> Response:
    errors: Sequence[dict[str, Any]] = [{"code": error.status, "description": error.description}]
    response = render(list(errors), error.fmt, "errors", "error", error.status)
    response.headers.update(headers or {})
    return response
