"""Several bot workers on one machine: updates sharded by the person who sent them.

One process (the parent) takes the updates from the Bot API — long polling, or the webhook —
and hands each one to worker `sender % n`, a child process (`python -m gridbot.processes.shard_worker`)
that runs the dispatcher, the handlers and its own Bot API client. Everything one person
does — their private chat, the buttons they press in a unit's group, the result photo they
send after [办结] — reaches the same worker, in order, so the in-memory FSM stays right
(with `GRIDBOT_REDIS_URL` the state is in Redis anyway). The parent keeps what must run
once: the outbox relay, the deadline scheduler, the config watcher; a worker asks it to wake
the relay after a command.

Why: one Python process handles about 50–60 complete reports/s here, CPU-bound in aiogram,
pydantic and SQLAlchemy; workers put the other cores to use. SQLite is shared between the
processes (WAL, busy timeout; case updates use optimistic locking); an in-memory SQLite
database cannot be, so it is refused.

Pipes, one line per message:
    parent → worker (stdin):   one update as JSON;      end of input: finish and exit
    worker → parent (stdout):  READY <cpu s> · DONE <update ids> · KICK · CPU <cpu s, at exit>

Delivery: each routed update has a future (`ShardPool.route`) that tells how it ended: DONE
(its handler finished), DROPPED (its worker died with it `Worker.MAX_ATTEMPTS` times) or
UNFINISHED (the pool stopped first). The parent keeps the update until the worker says DONE;
a worker that dies is restarted and gets its unfinished updates again first, so a worker's
crash loses nothing.

* Webhook (`shard_intake.serve_webhook_into`): Telegram's POST is answered when the future
  is: 200 once the handler finished — as the single-process webhook does (bot/webhook.py) —
  or once the update was dropped (with an error in the log: a poison update would otherwise
  be posted again forever), 503 when it is unfinished at stop (Telegram posts it again).
  The parent's own crash leaves the POST unanswered, so Telegram posts it again too.
* Long polling (`shard_intake.poll_into`): the parent confirms an update to the Bot API (the
  next getUpdates offset) once it is queued for its worker, as aiogram's own polling confirms
  before handling; the parent's crash can lose what was queued, as a single bot process
  would."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("gridbot.processes.shards")

MAX_WORKERS = 32
DONE, DROPPED, UNFINISHED = "done", "dropped", "unfinished"  # how a routed update ended
READY_TIMEOUT_S = 180.0  # importing aiogram and loading the NLU model takes a while
STOP_TIMEOUT_S = 30.0
RESTART_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0)
SETTINGS_ENV = "GRIDBOT_WORKER_SETTINGS"


class ShardError(RuntimeError):
    """Workers cannot be used as asked (in-memory SQLite, a bad count, a worker that never started)."""


def sender_of(update: Mapping[str, Any]) -> int:
    """Whose update this is: the sender's user id; the chat's id when there is no sender
    (channel posts); 0 when neither is there."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        for key in ("from", "user"):
            who = payload.get(key)
            if isinstance(who, dict) and isinstance(who.get("id"), int):
                return int(who["id"])
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
    return 0


def shard_of(update: Mapping[str, Any], n: int) -> int:
    return sender_of(update) % n


def check_workers(n: int, database_url: str) -> None:
    if not 1 <= n <= MAX_WORKERS:
        raise ShardError(f"workers must be between 1 and {MAX_WORKERS} (got {n})")
    in_memory = ":memory:" in database_url or database_url.endswith("://")
    if n > 1 and database_url.startswith("sqlite") and in_memory:
        raise ShardError(
            "several workers cannot share an in-memory SQLite database; use a file or PostgreSQL"
        )


def worker_env(settings: Any, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a worker: ours, plus the parent's settings exactly (they may have
    been built in code, not read from the environment)."""
    values = settings.model_dump(mode="json", by_alias=True)
    token = getattr(settings, "telegram_bot_token", None)
    values["TELEGRAM_BOT_TOKEN"] = token.get_secret_value() if token is not None else None
    values["GRIDBOT_DATABASE_URL"] = settings.effective_database_url
    return {**os.environ, SETTINGS_ENV: json.dumps(values), **(extra or {})}


def _metrics_process_dead(pid: int) -> None:
    """Multiprocess metrics (gridbot/processes/metrics_dir.py): the dead worker's live gauges
    go, its counts stay in the parent's /metrics."""
    from dispatch.observe import metrics  # here: prometheus_client only once the mode is set

    metrics.process_dead(pid)


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


class Worker:
    """The parent's side of one worker process: its updates, its pipes, its restarts.

    An update written to the worker stays in `unacked` until the worker says DONE (its
    handler finished). When the worker dies, those go first to the next one — nothing
    handed over is lost to a crash; an update that was being handled may be handled again
    (as Telegram redelivers an unanswered webhook). One that is the oldest unfinished update
    at `MAX_ATTEMPTS` deaths of its worker is dropped, with an error in the log.

    `outcomes` holds a future per update in flight (queued or written), resolved with DONE,
    DROPPED or UNFINISHED (at stop); the same update sent again while in flight (Telegram
    posting it again) is not queued twice and shares the future."""

    MAX_ATTEMPTS = 3

    def __init__(self, index: int, argv: list[str], env: dict[str, str], on_kick: Callable[[], None]) -> None:
        self.index = index
        self.argv = argv
        self.env = env
        self.on_kick = on_kick
        self.pending: deque[tuple[int, bytes]] = deque()
        self.unacked: dict[int, bytes] = {}
        self.attempts: dict[int, int] = {}
        self.outcomes: dict[int, asyncio.Future[str]] = {}
        self.proc: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()
        self.first_ready = asyncio.Event()
        self.cpu_s = 0.0  # CPU time of the worker processes that have exited
        self.ready_cpu_s = 0.0  # … of which spent starting up
        self.restarts = 0
        self.routed = 0
        self.dropped = 0
        self._work = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._supervise(), name=f"shard-{self.index}-supervisor"),
            asyncio.create_task(self._feed(), name=f"shard-{self.index}-feed"),
        ]

    async def _supervise(self) -> None:
        delays = iter(RESTART_DELAYS_S)
        while True:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=self.env
            )
            started = time.monotonic()
            await self._read(self.proc)
            code = await self.proc.wait()
            self.ready.clear()
            _metrics_process_dead(self.proc.pid)
            self._requeue_unacked()
            if self._stopping:
                return
            self.restarts += 1
            if time.monotonic() - started > 60:
                delays = iter(RESTART_DELAYS_S)  # it ran a good while: start over quickly
            delay = next(delays, RESTART_DELAYS_S[-1])
            log.error(
                "bot worker %d exited (code %s) with %d updates unfinished; restarting in %.1f s",
                self.index, code, len(self.pending), delay,
            )
            await asyncio.sleep(delay)

    def _requeue_unacked(self) -> None:
        back = list(self.unacked.items())
        if back and not self._stopping:
            # The oldest unfinished update takes the blame (a poison update is the oldest
            # one when it kills the worker at once; those written after it are innocent).
            update_id = back[0][0]
            n = self.attempts[update_id] = self.attempts.get(update_id, 0) + 1
            if n >= self.MAX_ATTEMPTS:
                self.dropped += 1
                back.pop(0)
                self._settle(update_id, DROPPED)
                log.error(
                    "bot worker %d: update %d dropped, its worker died %d times with it",
                    self.index, update_id, n,
                )
        self.unacked.clear()
        if back and not self._stopping:
            self.pending.extendleft(reversed(back))
            self._work.set()
        elif back:
            log.error("bot worker %d: %d updates unfinished at stop", self.index, len(back))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            word, _, rest = line.decode(errors="replace").strip().partition(" ")
            if word == "DONE":
                for part in rest.split():
                    if part.lstrip("-").isdigit():
                        self.unacked.pop(int(part), None)
                        self.attempts.pop(int(part), None)
                        self._settle(int(part), DONE)
            elif word == "KICK":
                self.on_kick()
            elif word == "READY":
                self.ready_cpu_s += _seconds(rest)
                self.ready.set()
                self.first_ready.set()
            elif word == "CPU":
                self.cpu_s += _seconds(rest)
            elif word:
                log.info("bot worker %d: %s", self.index, line.decode(errors="replace").rstrip())

    async def _feed(self) -> None:
        """Write updates into the worker's pipe, in order; wait out restarts. A line written
        into a pipe whose reader just died is in `unacked`, and comes back from there."""
        while True:
            if not self.pending:
                if self._stopping:
                    break
                self._work.clear()
                await self._work.wait()
                continue
            await self.ready.wait()
            proc = self.proc
            assert proc is not None and proc.stdin is not None
            lines = []
            while self.pending:  # everything queued, in one write
                update_id, line = self.pending.popleft()
                self.unacked[update_id] = line
                lines.append(line)
            try:
                proc.stdin.write(b"".join(lines))
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError, RuntimeError):
                self.ready.clear()  # the supervisor sees the exit and hands `unacked` back
        proc = self.proc
        if proc is not None and proc.stdin is not None and not proc.stdin.is_closing():
            try:
                proc.stdin.write_eof()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass

    def _settle(self, update_id: int, outcome: str) -> None:
        future = self.outcomes.pop(update_id, None)
        if future is not None and not future.done():
            future.set_result(outcome)

    def send(self, update: Mapping[str, Any]) -> asyncio.Future[str]:
        """Queue the update for the worker; the future tells how it ended."""
        update_id = int(update["update_id"])
        if update_id in self.outcomes:  # still in flight: posted again, not handled twice
            return self.outcomes[update_id]
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if self._stopping:  # too late to be handled
            future.set_result(UNFINISHED)
            return future
        self.outcomes[update_id] = future
        self.routed += 1
        line = json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self.pending.append((update_id, line))
        self._work.set()
        return future

    async def stop(self) -> None:
        """Hand over what is queued, then end its input: it finishes its handlers and exits."""
        self._stopping = True
        self._work.set()
        feed, supervisor = self._tasks
        try:
            await asyncio.wait_for(asyncio.shield(feed), STOP_TIMEOUT_S)
        except TimeoutError:
            feed.cancel()
            log.error("bot worker %d: %d updates not handed over at stop", self.index, len(self.pending))
        proc = self.proc
        if proc is not None and proc.returncode is None:
            if not self.ready.is_set() and proc.stdin is not None:
                proc.stdin.close()  # never started properly: nothing to finish
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                log.error("bot worker %d did not stop in %.0f s: killed", self.index, STOP_TIMEOUT_S)
                proc.kill()
                await proc.wait()
        try:
            await asyncio.wait_for(supervisor, 5)
        except (TimeoutError, asyncio.CancelledError):
            supervisor.cancel()
        for update_id in list(self.outcomes):  # never finished: not to be confirmed
            self._settle(update_id, UNFINISHED)


class ShardPool:
    """n workers and the routing of updates to them."""

    def __init__(
        self,
        n: int,
        *,
        settings: Any,
        token: str,
        api_base: str | None,
        channel: str,
        on_kick: Callable[[], None],
        nlu: str = "model",
    ) -> None:
        check_workers(n, settings.effective_database_url)
        argv = [sys.executable, "-m", "gridbot.processes.shard_worker", "--channel", channel, "--nlu", nlu]
        if api_base:
            argv += ["--api", api_base]
        env = worker_env(settings, {"GRIDBOT_WORKER_TOKEN": token})
        self.workers = [Worker(i, [*argv, "--shard", str(i)], env, on_kick) for i in range(n)]
        self._stopped: asyncio.Future[Any] | None = None

    async def start(self, timeout: float = READY_TIMEOUT_S) -> None:
        for w in self.workers:
            w.start()
        waits = [asyncio.create_task(w.first_ready.wait()) for w in self.workers]
        done, pending = await asyncio.wait(waits, timeout=timeout)
        if pending:
            for t in pending:
                t.cancel()
            missing = [w.index for w in self.workers if not w.first_ready.is_set()]
            await self.stop()
            raise ShardError(
                f"bot workers {missing} did not start within {timeout:.0f} s (see their log above)"
            )

    def worker_of(self, update: Mapping[str, Any]) -> Worker:
        return self.workers[shard_of(update, len(self.workers))]

    def route(self, update: Mapping[str, Any]) -> asyncio.Future[str]:
        """Hand the update to its worker; the future is resolved with DONE, DROPPED or UNFINISHED."""
        return self.worker_of(update).send(update)

    async def stop(self) -> None:
        """Let every worker finish what it was given and stop (once; callers may repeat it)."""
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(asyncio.gather(*(w.stop() for w in self.workers)))
        await asyncio.shield(self._stopped)

    @property
    def cpu_s(self) -> float:
        """CPU seconds the workers spent after starting up (known once they have exited)."""
        return sum(w.cpu_s - w.ready_cpu_s for w in self.workers)

    def stats(self) -> dict[str, Any]:
        return {
            "workers": len(self.workers),
            "routed": [w.routed for w in self.workers],
            "restarts": sum(w.restarts for w in self.workers),
            "dropped": sum(w.dropped for w in self.workers),
        }
