"""A third-party GeoReport v2 client (`georeport` from PyPI) reads the API served by uvicorn on
a loopback port, in JSON and in XML."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.app import create_api_app, make_server
from dispatch.service.open311 import Open311

georeport = pytest.importorskip("georeport")


@pytest.fixture
async def base_url(app: Any) -> AsyncIterator[str]:
    server = make_server(create_api_app(app), "127.0.0.1", 0)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/open311/v2"
    finally:
        server.should_exit = True
        await task


async def test_a_third_party_client_reads_services_and_requests(app: Any, base_url: str) -> None:
    key = await Open311(app.service, app.uow).create_key("client-test")
    json_client = georeport.GeoReport(base_url, api_key=key, output_format="json")
    xml_client = georeport.GeoReport(base_url, api_key=key, output_format="xml")

    services = await asyncio.to_thread(json_client.get_service_list)
    xml_services = await asyncio.to_thread(xml_client.get_service_list)
    codes = list(app.registry.taxonomy.category_ids)
    assert [s["service_code"] for s in services] == codes
    assert [s["service_code"] for s in xml_services] == codes
    definition = await asyncio.to_thread(xml_client.get_service_definition, "garbage")
    assert definition["service_code"] == "garbage"
    assert (await asyncio.to_thread(json_client.get_service_definition, "garbage"))["attributes"] == []

    import requests  # the client posts nothing itself: a form POST as the spec describes

    posted = await asyncio.to_thread(
        requests.post, f"{base_url}/requests.json",
        data={"api_key": key, "service_code": "garbage", "lat": 25.8312, "long": 115.0219,
              "description": "解放小区门口垃圾满了", "email": "li@example.org"},
        timeout=10,
    )
    number = posted.json()[0]["service_request_id"]

    found = await asyncio.to_thread(json_client.get_service_requests, status="open")
    assert [r["service_request_id"] for r in found] == [number]
    assert found[0]["agency_responsible"] == "城区环卫所"
    one = await asyncio.to_thread(xml_client.get_service_request, number)
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["agency_responsible"] == "城区环卫所" and "li@example.org" not in str(one)
    by_id = await asyncio.to_thread(xml_client.get_service_requests, service_request_id=number)
    assert by_id["service_request_id"] == number  # xmltodict: one element is a dict
    assert (await asyncio.to_thread(json_client.get_service_request, number))["service_code"] == "garbage"
