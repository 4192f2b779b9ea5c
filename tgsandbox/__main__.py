"""``python -m tgsandbox``: run the sandbox Bot API and its chat page standalone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging

from .config import DEFAULT_TOKEN, SandboxConfig
from .faults import FaultConfig, RateLimitConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tgsandbox",
                                description="Local Telegram Bot API sandbox with a web chat page.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--token", default=DEFAULT_TOKEN)
    p.add_argument("--demo", metavar="DIR",
                   help="seed from a directory with people.yaml, units.yaml, county.geojson")
    p.add_argument("--seed-file", help="JSON file with {users, groups, geojson?, places?}")
    p.add_argument("--rate-limits", action="store_true", help="enforce Telegram's rate limits")
    p.add_argument("--faults", default="",
                   help="e.g. rate_429=0.05,rate_500=0.02,rate_drop=0.01,delay_ms=200,seed=1"
                        " (methods=* for every method, getUpdates and getMe too;"
                        " methods=getMe+sendPhoto for some)")
    return p.parse_args(argv)


def fault_config(spec: str) -> FaultConfig:
    values: dict[str, object] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, _, raw = item.partition("=")
        if key == "methods":
            values[key] = [m for m in raw.split("+") if m]
        else:
            values[key] = float(raw) if key.startswith("rate_") else int(raw)
    return FaultConfig.from_dict(values)


async def serve(args: argparse.Namespace) -> None:
    from .server import start_sandbox

    world: dict = {}
    if args.demo:
        from .demo import demo_world

        world = demo_world(args.demo)
    if args.seed_file:
        with open(args.seed_file, encoding="utf-8") as fh:
            world = json.load(fh)
    config = SandboxConfig(token=args.token, faults=fault_config(args.faults),
                           rate_limits=RateLimitConfig(enabled=args.rate_limits))
    handle = await start_sandbox(args.host, args.port, config=config, **world)
    print(f"sandbox page:    {handle.url}/")
    print(f"Bot API base:    {handle.url}  (aiogram: TelegramAPIServer.from_base(url))")
    print(f"bot token:       {handle.token}")
    try:
        await asyncio.Event().wait()
    finally:
        await handle.close()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
