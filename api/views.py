"""Our categories and cases in GeoReport v2's words."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import texts
from dispatch.domain.case import Case
from dispatch.domain.taxonomy import Category
from dispatch.service.open311 import open_or_closed
from dispatch.service.registry import Registry


def service(c: Category) -> dict[str, Any]:
    return {
        "service_code": c.id,
        "service_name": c.name_zh,
        "description": c.description,
        "metadata": False,  # no category asks extra questions (no attributes)
        "type": "realtime",
        "keywords": c.name_en,
        "group": c.unit_kind,
    }


def definition(c: Category) -> dict[str, Any]:
    return {"service_code": c.id, "attributes": []}


def _w3(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat(timespec="seconds") if value is not None else None


def request(case: Case, updated: datetime | None, media_url: str | None, registry: Registry,
            tz: ZoneInfo) -> dict[str, Any]:
    """One service request. Nothing of the requester's own details is here."""
    unit = registry.units.get(case.unit_id) if case.unit_id else None
    status = case.status.value
    return {
        "service_request_id": case.number,
        "status": open_or_closed(status),
        "status_notes": f"{status} {texts.STATUS_ZH.get(status, '')}".strip(),
        "service_name": registry.category_name(case.category),
        "service_code": case.category,
        "description": case.description,
        "agency_responsible": unit.name if unit else None,
        "service_notice": None,
        "requested_datetime": _w3(case.created_at, tz),
        "updated_datetime": _w3(updated or case.created_at, tz),
        "expected_datetime": _w3(case.due_at, tz),
        "address": case.address,
        "address_id": case.grid_id,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media_url,
    }
