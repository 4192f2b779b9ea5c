"""Live location from the people's side: start, move, stop, expiry, track replay."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tgsandbox.client import SandboxAPIError
from tgsandbox.config import SandboxConfig

from .conftest import MEMBER, RESIDENT, UNIT_GROUP


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox_config(clock: Clock) -> SandboxConfig:
    return SandboxConfig(clock=clock)


async def raw_updates(client: Any, sandbox: Any) -> list[dict[str, Any]]:
    url = f"{sandbox.url}/bot{sandbox.token}/getUpdates"
    async with client.session.post(url, json={"timeout": 0}) as resp:
        body = await resp.json()
    updates = body["result"]
    if updates:
        async with client.session.post(url, json={"offset": updates[-1]["update_id"] + 1}):
            pass
    return updates


async def test_a_patrol_start_move_stop(sandbox, client, clock):
    worker = client.user(RESIDENT)
    started = await worker.start_live_location(30.0, 120.0, live_period=3600, heading=90,
                                               horizontal_accuracy=12.5)
    assert started["location"] == {"latitude": 30.0, "longitude": 120.0, "live_period": 3600,
                                   "heading": 90, "horizontal_accuracy": 12.5}
    assert worker.live_message_id == started["message_id"]
    clock.now += 30
    moved = await worker.move_live_location(30.001, 120.002)
    clock.now += 30
    last = await worker.move_live_location(30.002, 120.004, heading=45)
    clock.now += 5
    stopped = await worker.stop_live_location()

    updates = await raw_updates(client, sandbox)
    assert [next(k for k in u if k != "update_id") for u in updates] == [
        "message", "edited_message", "edited_message", "edited_message"]
    first = updates[0]["message"]
    assert first["location"]["live_period"] == 3600 and "edit_date" not in first
    edits = [u["edited_message"] for u in updates[1:]]
    assert {e["message_id"] for e in edits} == {started["message_id"]}
    assert [e["location"]["latitude"] for e in edits] == [30.001, 30.002, 30.002]
    assert [e["edit_date"] for e in edits] == [int(started["date"]) + 30, int(started["date"])
                                               + 60, int(started["date"]) + 65]
    assert all(e["date"] == started["date"] for e in edits)
    assert moved["location"]["live_period"] == 3600 and last["location"]["heading"] == 45
    # the stop: the last position, and no live_period any more (an ended live location)
    assert stopped["location"] == {"latitude": 30.002, "longitude": 120.004}
    assert worker.live_message_id is None
    with pytest.raises(SandboxAPIError) as info:
        await worker.move_live_location(30.003, 120.005, message_id=started["message_id"])
    assert info.value.status == 409 and "stopped" in info.value.error
    with pytest.raises(ValueError, match="start_live_location"):
        await worker.move_live_location(30.003, 120.005)
    assert await raw_updates(client, sandbox) == []


async def test_no_edit_after_the_live_period(client, clock):
    worker = client.user(RESIDENT)
    await worker.start_live_location(30.0, 120.0, live_period=60)
    clock.now += 59
    await worker.move_live_location(30.1, 120.0)
    clock.now += 1
    for action in (worker.move_live_location(30.2, 120.0), worker.stop_live_location()):
        with pytest.raises(SandboxAPIError) as info:
            await action
        assert info.value.status == 409 and "expired" in info.value.error
    message = (await worker.messages())[-1]
    assert message["location"]["latitude"] == 30.1


async def test_forever_until_stopped(client, clock):
    worker = client.user(RESIDENT)
    await worker.start_live_location(30.0, 120.0, live_period=0x7FFFFFFF)
    clock.now += 30 * 86400
    assert (await worker.move_live_location(30.5, 120.0))["location"]["latitude"] == 30.5


@pytest.mark.parametrize(("fields", "error"), [
    ({"live_period": 59}, "live_period must be 60..86400"),
    ({"live_period": 86401}, "live_period must be 60..86400"),
    ({"latitude": 91}, "wrong location"),
    ({"heading": 0}, "wrong heading"),
    ({"horizontal_accuracy": 1501}, "wrong horizontal accuracy"),
])
async def test_bad_starts_are_refused(client, fields, error):
    worker = client.user(RESIDENT)
    args = {"latitude": 30.0, "longitude": 120.0, "live_period": 900, **fields}
    with pytest.raises(SandboxAPIError) as info:
        await worker.start_live_location(**args)
    assert info.value.status == 400 and error in info.value.error
    assert await worker.messages() == []


async def test_only_the_sender_moves_and_only_live_locations(client):
    member = client.user(MEMBER, UNIT_GROUP)
    started = await member.start_live_location(30.0, 120.0)
    other = client.user(300002, UNIT_GROUP)
    with pytest.raises(SandboxAPIError) as info:
        await other.move_live_location(30.1, 120.0, message_id=started["message_id"])
    assert info.value.status == 403
    plain = await member.send_location(30.0, 120.0)
    with pytest.raises(SandboxAPIError) as info:
        await member.move_live_location(30.1, 120.0, message_id=plain["message_id"])
    assert info.value.status == 409 and "not a live location" in info.value.error
    with pytest.raises(SandboxAPIError) as info:
        await member.stop_live_location(message_id=999)
    assert info.value.status == 404


async def test_walk_and_replay_a_track(sandbox, client, tmp_path):
    worker = client.user(RESIDENT)
    await worker.start_live_location(30.0, 120.0)
    walked = await worker.walk([(30.01, 120.0), (30.02, 120.0)])
    assert [m["location"]["latitude"] for m in walked] == [30.01, 30.02]
    track = tmp_path / "patrol.csv"
    track.write_text("lat,lon,t\n30.03,120.0,0\n30.04,120.0,0.2\n30.05,120.0,0.4\n")
    begun = time.perf_counter()
    replayed = await worker.replay_track(track, speed=2.0)
    assert 0.18 <= time.perf_counter() - begun < 1.5  # 0.4 s recorded, twice as fast
    assert [m["location"]["latitude"] for m in replayed] == [30.03, 30.04, 30.05]
    updates = await raw_updates(client, sandbox)
    assert [u["edited_message"]["location"]["latitude"] for u in updates[1:]] == [
        30.01, 30.02, 30.03, 30.04, 30.05]


async def test_tracks_endpoint_parses_files_and_explains_errors(client):
    gpx = ('<?xml version="1.0"?><gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
           '<trkpt lat="30.1" lon="120.1"><time>2026-01-01T08:00:00Z</time></trkpt>'
           '<trkpt lat="30.2" lon="120.2"><time>2026-01-01T08:01:30Z</time></trkpt>'
           '</trkseg></trk></gpx>')
    parsed = await client.request("POST", "tracks", json={"text": gpx, "name": "a.gpx"})
    assert parsed == {"points": [{"lat": 30.1, "lon": 120.1, "t": 0.0},
                                 {"lat": 30.2, "lon": 120.2, "t": 90.0}],
                      "timed": True, "duration": 90.0}
    with pytest.raises(SandboxAPIError) as info:
        await client.request("POST", "tracks", json={"text": "30,120\n30,abc\n", "name": "b.csv"})
    assert info.value.status == 400 and "line 2" in info.value.error
