"""Track files a live location can replay: GPX, JSON or CSV of ``lat, lon[, t]``.

- GPX: every ``<trkpt>`` (else ``<rtept>``, else ``<wpt>``) with ``lat``/``lon`` attributes and
  an optional ``<time>`` (ISO 8601).
- JSON: a list of ``[lat, lon]``/``[lat, lon, t]`` or of objects ``{"lat", "lon", "t"}``
  (``latitude``/``longitude`` also read), or ``{"points": [...]}``.
- CSV: one point a line, ``lat,lon`` or ``lat,lon,t``; an optional header line (``lat,lon,t``)
  and ``#`` comment lines are skipped.

``t`` is seconds (a number) or an ISO 8601 time; parsed tracks give ``t`` as seconds since the
first point, or ``None`` for every point when the file has no times. Either all points have a
time or none, and times never go backwards.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_POINTS = 20000


class TrackError(ValueError):
    """A track file that cannot be replayed; the message says where and why."""


@dataclass(frozen=True)
class TrackPoint:
    lat: float
    lon: float
    t: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"lat": self.lat, "lon": self.lon, "t": self.t}


def parse_track(text: str, name: str = "") -> list[TrackPoint]:
    """The points of a track file; the format comes from ``name``'s suffix or the content."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise TrackError("the track file is empty")
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix == "gpx" or (not suffix or suffix == "xml") and stripped.startswith("<"):
        raw = _gpx(stripped)
    elif suffix == "json" or (suffix not in ("csv", "txt") and stripped[0] in "[{"):
        raw = _json(stripped)
    else:
        raw = _csv(stripped)
    return _finish(raw)


def _number(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool):
        raise TrackError(f"{where}: {what} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TrackError(f"{where}: {what} {value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise TrackError(f"{where}: {what} is not a finite number")
    return number


def _time(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise TrackError(f"{where}: time {text!r} is neither seconds nor ISO 8601") from None


Raw = list[tuple[Any, Any, Any, str]]  # lat, lon, t, where (for messages)


def _gpx(text: str) -> Raw:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise TrackError(f"not a valid GPX file: {error}") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    for kind in ("trkpt", "rtept", "wpt"):
        found = [el for el in root.iter() if local(el.tag) == kind]
        if found:
            break
    raw: Raw = []
    for i, el in enumerate(found, 1):
        when = next((c.text for c in el if local(c.tag) == "time"), None)
        raw.append((el.get("lat"), el.get("lon"), when, f"point {i}"))
    return raw


def _json(text: str) -> Raw:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TrackError(f"not valid JSON: {error}") from None
    if isinstance(data, dict):
        data = data.get("points")
    if not isinstance(data, list):
        raise TrackError('JSON track: expected a list of points or {"points": [...]}')
    raw: Raw = []
    for i, item in enumerate(data, 1):
        where = f"point {i}"
        if isinstance(item, list) and len(item) in (2, 3):
            raw.append((item[0], item[1], item[2] if len(item) == 3 else None, where))
        elif isinstance(item, dict):
            raw.append((item.get("lat", item.get("latitude")),
                        item.get("lon", item.get("longitude")), item.get("t"), where))
        else:
            raise TrackError(f"{where}: expected [lat, lon], [lat, lon, t] or "
                             '{"lat": .., "lon": .., "t": ..}')
    return raw


def _csv(text: str) -> Raw:
    raw: Raw = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not raw and cells[0].lower() in ("lat", "latitude"):
            continue  # the header
        if len(cells) not in (2, 3):
            raise TrackError(f"line {number}: expected lat,lon or lat,lon,t")
        raw.append((cells[0], cells[1], cells[2] if len(cells) == 3 else None,
                    f"line {number}"))
    return raw


def _finish(raw: Raw) -> list[TrackPoint]:
    if not raw:
        raise TrackError("the track has no points")
    if len(raw) > MAX_POINTS:
        raise TrackError(f"the track has {len(raw)} points, at most {MAX_POINTS} are replayed")
    points = []
    for lat_value, lon_value, when, where in raw:
        lat, lon = _number(lat_value, "latitude", where), _number(lon_value, "longitude", where)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise TrackError(f"{where}: {lat}, {lon} is not a position on Earth")
        points.append((lat, lon, _time(when, where), where))
    timed = [p for p in points if p[2] is not None]
    if timed and len(timed) != len(points):
        raise TrackError("either every point has a time or none has")
    if not timed:
        return [TrackPoint(lat, lon) for lat, lon, _, _ in points]
    start = points[0][2]
    assert start is not None
    out, last = [], start
    for lat, lon, when, where in points:
        assert when is not None
        if when < last:
            raise TrackError(f"{where}: time goes backwards")
        last = when
        out.append(TrackPoint(lat, lon, round(when - start, 3)))
    return out
