"""Throwaway PostgreSQL and Redis servers for `gridbot bench proof`, on free loopback ports under
a temporary directory, so the proof can restart them mid-run without touching anyone else's.

PostgreSQL is stopped with `pg_ctl -m immediate` (a crash: no checkpoint, clients cut off) and
started again; every commit it acknowledged survives (`synchronous_commit` stays on; `fsync` is
off because the machine itself does not crash). Redis keeps an append-only file, as in
`docker-compose.yml`, and is shut down and started again (FSM states survive)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


class ServiceError(RuntimeError):
    """A server that cannot be found, started or reached."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    for candidate in (Path("/usr/lib/postgresql/15/bin"),):
        if (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    if found is None:
        raise ServiceError("PostgreSQL's pg_ctl is not installed")
    return Path(found).parent


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    if os.geteuid() != 0:
        return cmd
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]


class Postgres:
    def __init__(self, base: Path) -> None:
        self.bin = _pg_bin()
        self.dir = base / "pg"
        self.port = free_port()
        self.log = base / "pg.log"

    def _ctl(self, *args: str) -> None:
        cmd = _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.dir), *args])
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise ServiceError(f"pg_ctl {args[-1]}: {done.stderr.strip() or done.stdout.strip()}")

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        self.log.touch()
        if os.geteuid() == 0:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
            shutil.chown(self.log, "postgres")
        cmd = [str(self.bin / "initdb"), "-D", str(self.dir), "-U", "postgres", "--auth=trust",
               "-E", "UTF8", "--locale=C.UTF-8"]
        done = subprocess.run(_as_postgres(cmd), capture_output=True, text=True)
        if done.returncode != 0:
            raise ServiceError(f"initdb: {done.stderr.strip()}")

    def start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k /tmp -c fsync=off "
                "-c full_page_writes=off -c max_connections=200")
        self._ctl("-l", str(self.log), "-w", "-o", f"'{opts}'" if os.geteuid() == 0 else opts, "start")

    def crash(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            self._ctl("-m", "immediate", "-w", "stop")
        except ServiceError:
            pass

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        import asyncio

        import asyncpg

        async def go() -> None:
            conn = await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres",
                                         database="postgres")
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(go())


class Redis:
    def __init__(self, base: Path) -> None:
        if shutil.which("redis-server") is None:
            raise ServiceError("redis-server is not installed")
        self.dir = base / "redis"
        self.port = free_port()

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
               "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "yes",
               "--pidfile", str(self.dir / "redis.pid"), "--logfile", str(self.dir / "redis.log")]
        subprocess.run(cmd, check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while not self._ping():
            if time.monotonic() > deadline:
                raise ServiceError("redis-server did not start")
            time.sleep(0.05)

    def _ping(self) -> bool:
        done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return done.stdout.strip() == "PONG"

    def shutdown(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True)
        deadline = time.monotonic() + 10
        while self._ping() and time.monotonic() < deadline:
            time.sleep(0.05)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Services:
    """A PostgreSQL and a Redis server of this run's own; `close` stops both and removes them."""

    def __init__(self) -> None:
        import tempfile

        self.base = base = Path(tempfile.mkdtemp(prefix="gridbot-proof-services-"))
        base.chmod(0o755)  # the postgres user must reach its directory
        self.pg = Postgres(base)
        self.redis = Redis(base)

    def start(self, database: str) -> tuple[str, str]:
        self.pg.init()
        self.pg.start()
        self.pg.create_database(database)
        self.redis.start()
        return self.pg.url(database), self.redis.url()

    def restart_postgres(self) -> float:
        """Crash and start again; seconds it was away."""
        t0 = time.monotonic()
        self.pg.crash()
        self.pg.start()
        return time.monotonic() - t0

    def restart_redis(self) -> float:
        t0 = time.monotonic()
        self.redis.shutdown()
        self.redis.start()
        return time.monotonic() - t0

    def close(self) -> None:
        self.redis.shutdown()
        self.pg.stop()
        shutil.rmtree(self.base, ignore_errors=True)
