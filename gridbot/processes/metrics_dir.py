"""The metrics directory of `--workers N`: one parent and N worker processes, one /metrics.

prometheus_client's multiprocess mode must be on before prometheus_client is imported, in
every process of the group: the command sets `PROMETHEUS_MULTIPROC_DIR` to a directory of its
own before it imports the bot, and the workers inherit it (their environment is the
parent's). The parent's /metrics then merges every process's files
(`dispatch.observe.metrics.render`); a worker that exits is marked dead there
(`Worker._supervise`), its restart writes files of its own.

The directory is made fresh for each run under the system's temporary directory
(`$TMPDIR`, else /tmp), `gridbot-metrics-<pid>-…`, and removed when the run ends; one left
behind by a run that was killed (its pid gone) is removed when the next run starts, so old
counts never reach a new run."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("gridbot.processes.shards")
ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's name (dispatch.observe.metrics.MULTIPROC_ENV)
PREFIX = "gridbot-metrics-"


class MetricsDirError(RuntimeError):
    """Multiprocess metrics cannot be switched on any more in this process."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(base: Path) -> list[Path]:
    """Directories of earlier runs whose process is gone: removed (returned)."""
    removed = []
    for path in base.glob(f"{PREFIX}*"):
        pid = path.name[len(PREFIX):].split("-", 1)[0]
        if path.is_dir() and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextmanager
def multiprocess_metrics(enabled: bool) -> Iterator[Path | None]:
    """With `enabled` (more than one process): a fresh directory in `PROMETHEUS_MULTIPROC_DIR`
    for the duration; without, nothing changes (one process keeps its own registry)."""
    if not enabled:
        yield None
        return
    if "prometheus_client" in sys.modules:
        raise MetricsDirError("multiprocess metrics must be set up before prometheus_client is imported")
    base = Path(tempfile.gettempdir())
    for path in remove_stale(base):
        log.info("removed the metrics directory of an earlier run: %s", path)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
    before = os.environ.get(ENV)
    os.environ[ENV] = str(path)
    try:
        yield path
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
        shutil.rmtree(path, ignore_errors=True)
