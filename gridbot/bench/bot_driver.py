"""The driver of `gridbot bench bot`: the sandbox Bot API and the simulated residents, in a
process of their own (`python -m gridbot.bench.bot_driver RESULT_FILE --residents N …`).

It prints `READY <url> <token>`, waits for `GO` on stdin, lets the residents report — a fixed
number of reports each, or again and again for warm-up + duration seconds — and writes its
measurements to RESULT_FILE (any size: nothing large goes through a pipe), then prints
`RESULT`; it keeps serving the Bot API until `STOP`."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

FIRST_RESIDENT = 700_000
TEMPLATES = [  # (text with {place}, a keyword the fake NLU knows)
    "{place}门口有人占道摆摊卖水果",
    "{place}旁边垃圾桶满了好几天没人清运",
    "{place}路边有个井盖坏了很危险",
    "{place}那边有人乱停车把人行道堵了",
    "{place}晚上广场舞音响太吵了",
    "{place}附近下水道堵了污水外溢",
    "{place}有商户把货物摆到人行道上",
    "{place}墙上贴满了小广告",
]


# ------------------------------------------------------------------------------- the driver side
class Resident:
    """One simulated person, acting on the sandbox's world in-process.

    The simulated people are the load generator, not the system under test: they call
    the sandbox's world directly (what the web chat page's HTTP endpoints call) and wait
    on its event log, so their cost stays out of the measurement as far as possible. The
    bot under test still reaches the sandbox only over HTTP, through aiogram's client.
    `--http-residents` makes them go through the page's HTTP API instead."""

    def __init__(self, world: Any, client: Any, user_id: int) -> None:
        self.world = world
        self.client = client  # None: in-process
        self.user_id = user_id
        self.since = 0
        self.queue: list[dict[str, Any]] = []

    async def act(self, path: str, **body: Any) -> None:
        if self.client is not None:
            _, seq = await self.client.request_seq(
                "POST", path, json={"user_id": self.user_id, "chat_id": self.user_id, **body}
            )
        else:
            uid = self.user_id
            if path == "messages":
                self.world.user_sends(uid, uid, {"text": body["text"]})
            elif path == "locations":
                location = {"latitude": body["latitude"], "longitude": body["longitude"]}
                self.world.user_sends(uid, uid, {"location": location})
            elif path == "press":
                self.world.press(uid, uid, int(body["message_id"]), data=body["callback_data"])
            else:
                raise ValueError(path)
            seq = self.world.events.seq
        self.since = max(self.since, seq)
        self.queue.clear()

    async def _events(self, timeout: float) -> list[dict[str, Any]]:
        if self.client is not None:
            result = await self.client.request(
                "GET",
                "events",
                params={"since": str(self.since), "chat_id": str(self.user_id), "timeout": f"{timeout:.2f}"},
            )
            return list(result["events"])
        from tgsandbox.events import chat_key

        events, _ = await self.world.events.wait(self.since, [chat_key(self.user_id)], timeout)
        return events

    async def next_message(self, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while self.queue:
                event = self.queue.pop(0)
                message = event.get("message") or {}
                if event["type"] == "message" and message.get("from", {}).get("is_bot"):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"resident {self.user_id}: no answer")
            for event in await self._events(min(remaining, 20.0)):
                if event["seq"] > self.since:
                    self.since = event["seq"]
                    self.queue.append(event)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def one_report(
    r: Resident, text: str, place: str, point: tuple[float, float],
    latencies: list[tuple[float, float]],
) -> bool:
    """The whole conversation for one report; True when the bot gave a case number."""

    async def step(path: str, **body: Any) -> dict[str, Any]:
        t0 = time.perf_counter()
        await r.act(path, **body)
        m = await r.next_message()
        t1 = time.perf_counter()
        latencies.append((t1, t1 - t0))
        return m

    m = await step("messages", text=text)
    for _ in range(12):
        t = m.get("text") or m.get("caption") or ""
        if "编号" in t:
            return True
        if "请选择最接近的一项" in t:
            b = _buttons(m)[0]
            m = await step("press", message_id=m["message_id"], callback_data=b["callback_data"])
        elif "识别到地点" in t:
            m = await step("messages", text=f"就在{place}")
        elif "问题在哪里" in t:
            m = await step("locations", latitude=point[0], longitude=point[1])
        elif "现场照片" in t:
            m = await step("messages", text="跳过")
        elif "请核对" in t:
            b = next(b for b in _buttons(m) if b["text"].endswith("提交"))
            m = await step("press", message_id=m["message_id"], callback_data=b["callback_data"])
        else:  # an acknowledgement ("已定位到…", the emergency warning): read on
            m = await r.next_message()
    return False


def places_of(geojson: dict[str, Any]) -> list[tuple[str, tuple[float, float]]]:
    """Landmarks named in exactly one unit grid, with their points."""
    seen: dict[str, list[tuple[float, float]]] = {}
    for f in geojson["features"]:
        for p in f["properties"].get("places") or []:
            if p.get("lat") is not None:
                seen.setdefault(p["name"], []).append((p["lat"], p["lon"]))
    return [(name, pts[0]) for name, pts in sorted(seen.items()) if len(pts) == 1 and len(name) >= 3]


async def drive(
    residents: int, reports: int, result_file: Path, *, http_residents: bool = False,
    duration: float = 0.0, warmup: float = 0.0,
) -> None:
    """`duration` > 0: each resident reports until warm-up + duration have passed, and only
    what happens in the window after the warm-up counts; else `reports` each, all counted."""
    from gridbot.demo import DEMO_DIR
    from tgsandbox.client import SandboxClient
    from tgsandbox.demo import demo_world
    from tgsandbox.server import start_sandbox

    world = demo_world(DEMO_DIR)
    places = places_of(world["geojson"])
    world["users"] += [
        {"id": FIRST_RESIDENT + i, "first_name": f"居民{i}", "roles": ["resident"], "started": True}
        for i in range(residents)
    ]
    handle = await start_sandbox("127.0.0.1", 0, **world)
    print(f"READY {handle.url} {handle.token}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # GO
    t0 = time.perf_counter()
    w0, w1 = (t0 + warmup, t0 + warmup + duration) if duration > 0 else (t0, float("inf"))
    latencies: list[tuple[float, float]] = []  # (when answered, seconds)
    completed: list[float] = []  # when each complete report got its case number
    failed = 0
    cpu: dict[str, float] = {}

    async def window_cpu() -> None:
        await asyncio.sleep(max(0.0, w0 - time.perf_counter()))
        cpu["start"] = time.process_time()
        if duration > 0:
            await asyncio.sleep(max(0.0, w1 - time.perf_counter()))
            cpu["end"] = time.process_time()

    async with SandboxClient(handle.url) as client:

        async def person(i: int) -> None:
            nonlocal failed
            r = Resident(handle.world, client if http_residents else None, FIRST_RESIDENT + i)
            for k in itertools.count() if duration > 0 else range(reports):
                if duration > 0 and time.perf_counter() >= w1:
                    break
                n = i * 1000 + k
                place, point = places[(n * 7) % len(places)]
                text = TEMPLATES[n % len(TEMPLATES)].format(place=place)
                try:
                    ok = await one_report(r, text, place, point, latencies)
                except Exception as exc:  # a stuck conversation counts as a failure
                    print(f"resident {i}: {exc}", file=sys.stderr, flush=True)
                    ok = False
                if ok:
                    completed.append(time.perf_counter())
                else:
                    failed += 1

        meter = asyncio.create_task(window_cpu())
        await asyncio.gather(*(person(i) for i in range(residents)))
        end = time.perf_counter()
        if duration <= 0:
            w1 = end
            cpu["end"] = time.process_time()
        await meter
        stats = await client.stats()
    result = {
        "window_s": w1 - w0,
        "complete": sum(1 for t in completed if w0 <= t <= w1),
        "complete_total": len(completed),
        "failed": failed,
        "latencies": [s for t, s in latencies if w0 <= t <= w1],
        "sandbox_calls": stats.get("calls", {}),
        "cpu_s": cpu["end"] - cpu["start"],
    }
    result_file.write_text(json.dumps(result), encoding="utf-8")
    print("RESULT", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # STOP: the bot side has finished
    await handle.close()


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m gridbot.bench.bot_driver")
    p.add_argument("result_file", type=Path)
    p.add_argument("--residents", type=int, required=True)
    p.add_argument("--reports", type=int, default=0)
    p.add_argument("--duration", type=float, default=0.0)
    p.add_argument("--warmup", type=float, default=0.0)
    p.add_argument("--http-residents", action="store_true")
    a = p.parse_args(argv)
    asyncio.run(drive(a.residents, a.reports, a.result_file, http_residents=a.http_residents,
                      duration=a.duration, warmup=a.warmup))


if __name__ == "__main__":
    main(sys.argv[1:])
