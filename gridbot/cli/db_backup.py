"""`gridbot db backup FILE` / `gridbot db restore FILE [--force]`.

SQLite: the standard library's online backup API — a consistent copy while the bot and
the console keep writing (pages changed during the copy make it start over from the
changed page, never a torn file). PostgreSQL: `pg_dump -Fc` (one snapshot transaction) and
`pg_restore`. The password goes to the tools in PGPASSWORD, never on their command line.

A restore never overwrites a database that holds tables unless `--force` is given, and
the file is checked first (a SQLite file that is not one, or a dump `pg_restore` cannot
list, is refused before anything is touched)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A one-line reason a backup or restore did not happen (nothing was changed)."""


@dataclass(frozen=True)
class Outcome:
    what: str
    tables: int


def backup(database_url: str, path: Path) -> Outcome:
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        return _sqlite_backup(_sqlite_file(url), path)
    return _pg_backup(url, path)


def restore(database_url: str, path: Path, *, force: bool = False) -> Outcome:
    url = make_url(database_url)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    if url.drivername.startswith("sqlite"):
        return _sqlite_restore(_sqlite_file(url), path, force=force)
    return _pg_restore(url, path, force=force)


# -- SQLite ----------------------------------------------------------------------------------
def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _tables(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return int(row[0])


def _sqlite_backup(db: Path, path: Path) -> Outcome:
    if not db.is_file():
        raise BackupError(f"{db}: no database here (GRIDBOT_DATABASE_URL / GRIDBOT_DATA_DIR)")
    tmp = path.with_name(f".{path.name}.partial")
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tmp.unlink(missing_ok=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=256)  # in steps: writers are not held up for the whole copy
            tables = _tables(dst)
        finally:
            dst.close()
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup of {db} failed: {exc}") from exc
    finally:
        src.close()
    os.replace(tmp, path)  # a half-written backup never carries the final name
    return Outcome(f"SQLite {db} → {path}", tables)


def _sqlite_restore(db: Path, path: Path, *, force: bool) -> Outcome:
    with path.open("rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise BackupError(f"{path}: not a SQLite backup")
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = src.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"{path}: damaged SQLite file ({check[0] if check else 'no answer'})")
        tables = _tables(src)
        db.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(db, timeout=10)
        try:
            present = _tables(dst)
            if present and not force:
                raise BackupError(f"{db} is not empty ({present} tables): give --force to overwrite it")
            src.backup(dst)  # one transaction on the target: all of it or none
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {db} failed: {exc}") from exc
    finally:
        src.close()
    return Outcome(f"SQLite {path} → {db}", tables)


# -- PostgreSQL -----------------------------------------------------------------------------
def pg_tool(name: str) -> str:
    """The PostgreSQL client program `name` (pg_dump, pg_restore): on PATH, else a Debian
    server directory."""
    for directory in PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} not found (install the PostgreSQL 15 client programs)")


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    return env


def _run(args: list[str], url: URL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=_pg_env(url), capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _pg_tables(url: URL) -> int:
    r = _run([pg_tool("psql"), "-XAtq", "-c",
              "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"],
             url)
    if r.returncode != 0:
        raise BackupError(f"cannot reach {url.database} on {url.host}: {_last_line(r.stderr)}")
    return int(r.stdout.strip() or 0)


def _pg_backup(url: URL, path: Path) -> Outcome:
    tables = _pg_tables(url)
    tmp = path.with_name(f".{path.name}.partial")
    r = _run([pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(tmp)], url)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {_last_line(r.stderr)}")
    os.replace(tmp, path)
    return Outcome(f"PostgreSQL {url.database} → {path}", tables)


def _pg_restore(url: URL, path: Path, *, force: bool) -> Outcome:
    with path.open("rb") as f:
        if f.read(5) != PG_CUSTOM_MAGIC:
            raise BackupError(f"{path}: not a pg_dump custom-format file (made by `gridbot db backup`)")
    listing = _run([pg_tool("pg_restore"), "-l", str(path)], url)
    if listing.returncode != 0:
        raise BackupError(f"{path}: pg_restore cannot read it: {_last_line(listing.stderr)}")
    tables = sum(1 for line in listing.stdout.splitlines() if " TABLE " in line and "TABLE DATA" not in line)
    present = _pg_tables(url)
    if present and not force:
        raise BackupError(
            f"database {url.database} is not empty ({present} tables): give --force to overwrite it")
    args = [pg_tool("pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error",
            "-d", url.database or "postgres"]
    if present:
        args += ["--clean", "--if-exists"]
    r = _run([*args, str(path)], url)
    if r.returncode != 0:
        raise BackupError(f"pg_restore failed (the database is as it was): {_last_line(r.stderr)}")
    return Outcome(f"PostgreSQL {path} → {url.database}", tables)
