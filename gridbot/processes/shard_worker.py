"""One bot worker (see `gridbot/processes/shards.py`): updates in on stdin, handled by the dispatcher.

    python -m gridbot.processes.shard_worker --shard 0 --channel sandbox \
        --api http://127.0.0.1:8081 --nlu model

Started by the parent, never by hand: the settings come from the parent in
`GRIDBOT_WORKER_SETTINGS`, the token in `GRIDBOT_WORKER_TOKEN`. stdout is the pipe back to
the parent (READY, KICK, CPU); logs go to stderr."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from typing import Any

log = logging.getLogger("gridbot.processes.shards")
MAX_LINE = 8 * 1024 * 1024
DRAIN_TIMEOUT_S = 15.0


class ParentPipe:
    """stdout: one word per line to the parent. A burst of KICKs is one line."""

    def __init__(self) -> None:
        self._kick_pending = False
        self._done: list[int] = []

    def say(self, line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def kick(self) -> None:
        if not self._kick_pending:
            self._kick_pending = True
            asyncio.get_running_loop().call_soon(self._send_kick)

    def done(self, update_id: int) -> None:
        """This update's handler has finished (batched: one line per loop turn)."""
        if not self._done:
            asyncio.get_running_loop().call_soon(self._send_done)
        self._done.append(update_id)

    def _send_done(self) -> None:
        ids, self._done = self._done, []
        try:
            self.say("DONE " + " ".join(map(str, ids)))
        except (BrokenPipeError, ValueError):
            pass

    def _send_kick(self) -> None:
        self._kick_pending = False
        try:
            self.say("KICK")
        except (BrokenPipeError, ValueError):
            pass  # the parent is gone; it will notice us too


def make_nlu(kind: str, load_model: Any) -> Any:
    """`model` (the packaged NLU), `fake` (the benchmark's keyword stub) or `module:factory`
    (any classifier with `predict(text)`, e.g. a test's scripted one)."""
    if kind == "model":
        return load_model()
    if kind == "fake":
        from gridbot.bench.bot import KeywordNlu

        return KeywordNlu()
    module, _, attr = kind.partition(":")
    if not module or not attr:
        raise SystemExit(f"--nlu: model, fake or module:factory (got {kind!r})")
    import importlib

    return getattr(importlib.import_module(module), attr)()


def _update_id(line: bytes) -> int | None:
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    return update_id if isinstance(update_id, int) else None


def settings_from_env() -> Any:
    from dispatch.settings import Settings

    raw = os.environ.get("GRIDBOT_WORKER_SETTINGS")
    if not raw:
        return Settings()
    values = {k: v for k, v in json.loads(raw).items() if v is not None}
    return Settings(**values)


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def serve(args: argparse.Namespace) -> None:
    from aiogram.methods import TelegramMethod
    from aiogram.types import Update

    from bot.runtime import build_runtime, settle_heap
    from gridbot.bootstrap import bootstrap
    from gridbot.config_watch import start_config_watch
    from gridbot.processes.launch import load_nlu

    pipe = ParentPipe()
    settings = settings_from_env()
    token = os.environ.get("GRIDBOT_WORKER_TOKEN") or (
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    )
    app = await bootstrap(settings)
    try:
        nlu = make_nlu(args.nlu, lambda: load_nlu(app))
        runtime = build_runtime(app, nlu, token=token, api_base=args.api, channel=args.channel)
        runtime.commands.wake_relay = pipe.kick  # the relay runs in the parent
        await runtime.start(polling=False, relay=False, announce=False)
        settle_heap()
        stop = asyncio.Event()
        watch = start_config_watch(app, stop)
        bot, dp = runtime.bot, runtime.dp
        tasks: set[asyncio.Task[Any]] = set()

        async def handle(update: Update) -> None:
            # DONE once the handler has finished, an error included (as the single-process
            # webhook answers 200 then); a handler cancelled at stop never says DONE: the
            # update is unfinished, and its webhook post is not answered 200.
            try:
                response = await dp.feed_update(bot, update)
                if isinstance(response, TelegramMethod):
                    await dp.silent_call_request(bot=bot, result=response)
            except Exception:
                log.exception("worker %s: update %s failed", args.shard, update.update_id)
            pipe.done(update.update_id)

        reader = await _stdin_reader()
        pipe.say(f"READY {time.process_time():.3f}")
        while line := await reader.readline():
            try:
                update = Update.model_validate_json(line, context={"bot": bot})
            except ValueError as exc:  # (pydantic's ValidationError is one)
                log.error("worker %s: not an update, skipped: %s", args.shard, str(exc)[:200])
                update_id = _update_id(line)
                if update_id is not None:
                    pipe.done(update_id)  # nothing to gain from a second try
                continue
            task = asyncio.create_task(handle(update))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        # End of input: finish what was started, then close down.
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT_S)
            for t in pending:
                log.warning("worker %s: a handler still running at stop: cancelled", args.shard)
                t.cancel()
        stop.set()
        await watch
        await runtime.stop()
    finally:
        await app.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gridbot.processes.shard_worker")
    parser.add_argument("--shard", type=int, required=True)
    parser.add_argument("--channel", default="telegram")
    parser.add_argument("--api", default=None)
    parser.add_argument("--nlu", default="model", help="model, fake or module:factory")
    args = parser.parse_args(argv)
    # Ctrl+C in a terminal reaches the whole process group: the parent stops us (end of
    # input) once it has stopped taking updates, so the handlers running can finish.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from gridbot.logs import setup_logging

    setup_logging(settings_from_env())  # the parent's format and level, redacted
    try:
        asyncio.run(serve(args))
    finally:
        try:
            sys.stdout.write(f"CPU {time.process_time():.3f}\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass


if __name__ == "__main__":
    main()
