"""The Open311 GeoReport v2 API over HTTP (the ASGI app through httpx): every method in JSON
and XML, every error with its status, keys, rate limits, the audit log, private fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from api.app import create_api_app
from dispatch.service.open311 import Open311

BASE = "/open311/v2"
TZ = ZoneInfo("Asia/Shanghai")
PRIVATE = {"email": "li@example.org", "first_name": "小李", "last_name": "李", "phone": "13911112222"}


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    api = create_api_app(app, rate=1000, burst=1000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as c:
        yield c


@pytest.fixture
async def key(app: Any) -> str:
    return await Open311(app.service, app.uow).create_key("city-app")


def xml(r: httpx.Response) -> ET.Element:
    assert r.headers["content-type"].startswith("text/xml")
    return ET.fromstring(r.content)


async def post(client: httpx.AsyncClient, key: str | None, fmt: str = "json", **fields: Any) -> httpx.Response:
    data = {"service_code": "garbage", "lat": "25.8312", "long": "115.0219", "description": "解放小区门口垃圾满了"}
    data.update(fields)
    if key is not None:
        data["api_key"] = key
    return await client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


async def test_services_and_definitions_in_json_and_xml(client: httpx.AsyncClient, app: Any) -> None:
    r = await client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    services = r.json()
    assert [s["service_code"] for s in services] == list(app.registry.taxonomy.category_ids)
    assert set(services[0]) >= {"service_code", "service_name", "description", "metadata", "type",
                                "keywords", "group"}
    root = xml(await client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text == "false"
    d = (await client.get(f"{BASE}/services/garbage.json")).json()
    assert d == {"service_code": "garbage", "attributes": []}
    root = xml(await client.get(f"{BASE}/services/garbage.xml"))
    assert root.tag == "service_definition" and root.find("service_code").text == "garbage"
    for fmt in ("json", "xml"):
        r = await client.get(f"{BASE}/services/no_such.{fmt}")
        assert r.status_code == 404
    assert (await client.get(f"{BASE}/services/no_such.json")).json()[0]["code"] == 404
    assert xml(await client.get(f"{BASE}/services/no_such.xml")).find("error/code").text == "404"
    assert (await client.get(f"{BASE}/services.yaml")).status_code == 400


async def test_post_then_read_it_back_every_way(client: httpx.AsyncClient, app: Any, key: str) -> None:
    r = await post(client, key, **PRIVATE, media_url="https://example.org/p.jpg", account_id="acc-1")
    assert r.status_code == 200, r.text
    [created] = r.json()
    number, token = created["service_request_id"], created["token"]
    assert created["account_id"] == "acc-1"
    [one] = (await client.get(f"{BASE}/requests/{number}.json")).json()
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["status_notes"].startswith("dispatched")
    assert one["agency_responsible"] == "城区环卫所" and one["address_id"] == "G-01-01-01-04"
    assert one["media_url"] == "https://example.org/p.jpg" and one["description"] == "解放小区门口垃圾满了"
    assert one["lat"] == 25.8312 and one["long"] == 115.0219 and one["expected_datetime"]
    body = (await client.get(f"{BASE}/requests.json")).text
    for value in PRIVATE.values():  # the requester's details are never shown
        assert value not in body
    root = xml(await client.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == number
    assert root.find("request/agency_responsible").text == "城区环卫所"
    assert (await client.get(f"{BASE}/tokens/{token}.json")).json() == [
        {"service_request_id": number, "token": token}]
    assert xml(await client.get(f"{BASE}/tokens/{token}.xml")).find("request/service_request_id").text == number
    assert (await client.get(f"{BASE}/tokens/nope.json")).status_code == 404
    r = await post(client, key, "xml", lat=None, long=None, address_string="五丰菜市场", service_code="street_vending",
                   description="有人摆摊")
    assert r.status_code == 200 and xml(r).find("request/service_request_id").text
    # a case as a unit reads it: no requester details; the channel is recorded
    from dispatch.db.orm import OutboxRow

    async with app.uow() as uow:
        case = await uow.cases.by_number(number)
        payloads = " ".join(str(o.payload) for o in (await uow.session.scalars(select(OutboxRow))).all())
    assert case.channel == "open311"
    assert all(v not in case.description + payloads for v in PRIVATE.values())


async def test_get_requests_filters_and_the_90_day_window(client: httpx.AsyncClient, app: Any, clock: Any,
                                                            key: str) -> None:
    old = (await post(client, key)).json()[0]["service_request_id"]
    clock.advance(days=91)
    new = (await post(client, key, service_code="street_vending", lat=None, long=None,
                      address_string="五丰菜市场", description="有人摆摊")).json()[0]["service_request_id"]
    ids = lambda r: [x["service_request_id"] for x in r.json()]  # noqa: E731
    assert ids(await client.get(f"{BASE}/requests.json")) == [new]  # the last 90 days
    start = (clock.now() - timedelta(days=95)).isoformat()
    end = (clock.now() - timedelta(days=85)).isoformat()
    assert ids(await client.get(f"{BASE}/requests.json", params={"start_date": start, "end_date": end})) == [old]
    assert ids(await client.get(f"{BASE}/requests.json", params={"start_date": start})) == [old]
    day = (clock.now() - timedelta(days=91)).astimezone(TZ)  # the local day `old` was posted, at 09:00
    for raw, found in ((f"{day:%Y-%m-%d}", [old]), (f"{day:%Y-%m-%d} 08:00:00", [old]),
                       (f"{day:%Y-%m-%d} 10:00:00", []), (f"{day:%Y-%m-%d}T08:00:00 08:00", [old]),
                       (f"{day:%Y-%m-%d}T10:00:00 08:00", [])):
        # a date; a space for the T (China time); an offset whose "+" arrived unencoded
        r = await client.get(f"{BASE}/requests.json?start_date={raw}&end_date={day:%Y-%m-%d}T23:59:59")
        assert r.status_code == 200 and ids(r) == found, raw
    assert ids(await client.get(f"{BASE}/requests.json", params={"service_request_id": f"{old},{new}"})) == [new, old]
    assert ids(await client.get(f"{BASE}/requests.json", params={"service_code": "garbage"})) == []
    assert ids(await client.get(f"{BASE}/requests.json", params={"service_code": "street_vending,garbage"})) == [new]
    assert ids(await client.get(f"{BASE}/requests.json", params={"status": "open"})) == [new]
    assert ids(await client.get(f"{BASE}/requests.json", params={"status": "closed"})) == []
    root = xml(await client.get(f"{BASE}/requests.xml", params={"status": "open,closed"}))
    assert [e.text for e in root.findall("request/service_request_id")] == [new]
    for params in ({"start_date": "yesterday"}, {"status": "pending"}, {"service_code": "nope"},
                   {"start_date": start, "end_date": clock.now().isoformat()}):
        r = await client.get(f"{BASE}/requests.json", params=params)
        assert r.status_code == 400 and r.json()[0]["code"] == 400, params
    r = await client.get(f"{BASE}/requests/QH-19990101-0001.xml")
    assert r.status_code == 404 and xml(r).find("error/code").text == "404"


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_post_errors_have_the_spec_format_and_status(client: httpx.AsyncClient, app: Any, key: str,
                                                            fmt: str) -> None:
    cases = [
        (None, {}, 403),  # no key
        ("not-a-key", {}, 403),
        (key, {"service_code": "no_such"}, 400),
        (key, {"service_code": ""}, 400),
        (key, {"lat": None, "long": None}, 400),  # no location
        (key, {"long": None}, 400),  # half a point
        (key, {"lat": "north"}, 400),
        (key, {"lat": None, "long": None, "address_id": "G-99"}, 400),
        (key, {"description": "路" * 4001}, 400),
        (key, {"media_url": "javascript:alert(1)"}, 400),
    ]
    for k, fields, status in cases:
        r = await post(client, k, fmt, **fields)
        assert r.status_code == status, (fields, r.text)
        if fmt == "json":
            [err] = r.json()
            assert set(err) == {"code", "description"} and err["code"] == status and err["description"]
        else:
            root = xml(r)
            assert root.tag == "errors" and root.find("error/code").text == str(status)
    r = await post(client, key, fmt, lat=None, long=None, address_id="G-01-01-01-04")  # a grid id
    assert r.status_code == 200
    async with app.uow() as uow:
        from dispatch.db.orm import CaseRow

        cases_made = (await uow.session.scalars(select(CaseRow))).all()
    assert len(cases_made) == 1 and cases_made[0].grid_id == "G-01-01-01-04"


async def test_revoked_keys_rate_limits_and_the_audit_log(app: Any) -> None:
    from dispatch.db.channel_tables import ApiAuditRow, ApiKeyRow

    o = Open311(app.service, app.uow)
    key = await o.create_key("slow-app")
    other = await o.create_key("other-app")
    api = create_api_app(app, rate=0.001, burst=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as c:
        assert (await post(c, key)).status_code == 200
        assert (await post(c, key)).status_code == 200
        limited = await post(c, key)
        assert limited.status_code == 429 and limited.json()[0]["code"] == 429
        assert int(limited.headers["retry-after"]) > 0
        assert (await post(c, other)).status_code == 200  # per key
        await o.revoke_key("other-app")
        assert (await post(c, other)).status_code == 403
        assert (await c.get(f"{BASE}/services.json", params={"api_key": other})).status_code == 403
    async with app.uow() as uow:
        rows = (await uow.session.scalars(select(ApiAuditRow).order_by(ApiAuditRow.id))).all()
        stored = (await uow.session.scalars(select(ApiKeyRow))).all()
    assert [(r.key_name, r.method, r.status) for r in rows] == [
        ("slow-app", "POST", 200), ("slow-app", "POST", 200), ("slow-app", "POST", 429),
        ("other-app", "POST", 200), (None, "POST", 403), (None, "GET", 403)]
    assert all(key not in r.path and other not in r.path for r in rows)
    assert all(s.key_hash not in (key, other) and len(s.key_hash) == 64 for s in stored)
    with pytest.raises(Exception, match="exists"):
        await o.create_key("slow-app")
    assert await o.create_key("other-app") != other  # a revoked name may get a new key
