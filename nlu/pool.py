"""`gridbot nlu classify` on every core: big reads go to worker processes, answers stay in order.

The model is loaded (and warmed) once in the parent; the workers are forked from it, so
they pay neither the imports nor the load. The parent reads stdin as before (`available_lines`:
each read's complete lines form one list) and:

- answers a small list itself, at once — interactive use, a program waiting for each answer,
  a short file — until a read brings at least `POOL_MIN_LINES` lines;
- from then on sends every list, numbered by its first line, to the workers, and a writer
  thread writes each list's result (its bad lines' messages on stderr, then its answers) in
  input order as soon as it and every list before it are done. Reading never waits for
  writing, so a program that writes many lines before it reads any answer does not deadlock,
  and a single line sent later is answered as soon as its worker is done.

Every list goes through the same `answer_lines` as in one process, so the output is
byte-identical whatever the number of workers or the size of the reads. With `strict`, the
first bad line still ends the stream: the lists after it are discarded unanswered. When
stdout is closed early (a broken pipe) the writer stops, the parent stops reading and the
workers are shut down; `BrokenPipeError` is raised to the caller. A worker killed from
outside raises `WorkerDied` once the answers before its lines are written; Ctrl-C reaches
the parent only (the workers ignore it) and ends them.
"""

from __future__ import annotations

import gc
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

from nlu.stream import Answered, Predictor, answer_lines, emit

POOL_MIN_LINES = 200  # a read with fewer lines is answered in this process
IN_FLIGHT_PER_WORKER = 3  # lists sent ahead per worker (bounds memory on endless input)

# a message that touches every lazily built table (character map, log frequencies, entities)
WARM_UP = "五丰菜市场门口有人摆摊，另外路灯也坏了，电话13800000000，車牌赣B·3K127"

_model: Predictor | None = None  # the parent's model, inherited by the forked workers


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed from outside)."""


def auto_workers() -> int:
    """The CPUs this process may run on (`os.cpu_count()` where affinity is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the parent shuts the workers down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":  # and a parent killed outright takes its workers with it
        import ctypes

        pr_set_pdeathsig = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def _answer_in_worker(batch: list[bytes], first_lineno: int, strict: bool) -> Answered:
    assert _model is not None, "the model is set before the workers are forked"
    return answer_lines(_model, batch, first_lineno, strict)


class _Writer(threading.Thread):
    """Writes the lists' results in input order; after a broken pipe or a strict stop it only
    drains what is still queued (so the reader never blocks on a full queue)."""

    def __init__(self, write: Callable[[bytes], None], error: Callable[[str], None], size: int) -> None:
        super().__init__(name="nlu-classify-writer", daemon=True)
        self.results: queue.Queue[Future[Answered] | None] = queue.Queue(size)
        self._write = write
        self._error = error
        self.bad = 0
        self.stopped = False  # strict: a bad line ended the stream
        self.failed: BaseException | None = None  # a broken pipe, or a worker's exception
        self.discard = False  # the reading thread gave up

    @property
    def done(self) -> bool:
        return self.stopped or self.failed is not None or self.discard

    def run(self) -> None:
        while (future := self.results.get()) is not None:
            if self.done:
                future.cancel()
                continue
            try:
                answered = future.result()
                self.bad += len(answered.errors)
                emit(answered, self._write, self._error)
                self.stopped = answered.stopped
            except BaseException as e:  # noqa: BLE001 - handed to the reading thread
                self.failed = e


def classify_pooled(
    model: Predictor,
    batches: Iterable[list[bytes]],
    write: Callable[[bytes], None],
    error: Callable[[str], None],
    strict: bool = False,
    workers: int = 0,
    min_lines: int = POOL_MIN_LINES,
) -> int:
    """`nlu.stream.classify_batches` with `workers` processes (0: `auto_workers()`; 1: none).
    Returns the number of bad lines."""
    global _model
    workers = workers or auto_workers()
    if not hasattr(os, "fork"):  # the workers are forked: elsewhere, this process answers
        workers = 1
    bad = 0
    lineno = 1
    pool: Any = None
    writer: _Writer | None = None
    try:
        for batch in batches:
            first, lineno = lineno, lineno + len(batch)
            if writer is None:
                if workers < 2 or len(batch) < min_lines:
                    answered = answer_lines(model, batch, first, strict)
                    bad += len(answered.errors)
                    emit(answered, write, error)
                    if answered.stopped:
                        break
                    continue
                model.predict_batch([WARM_UP])  # lazily built tables: built once, shared
                _model = model
                pool = _start_pool(workers)
                writer = _Writer(write, error, workers * IN_FLIGHT_PER_WORKER)
            writer.results.put(pool.submit(_answer_in_worker, batch, first, strict))
            if not writer.is_alive():  # started after the workers are forked: no thread at fork
                writer.start()
            if writer.done:
                break
    except BaseException:
        if writer is not None:
            writer.discard = True  # Ctrl-C or an error here: nothing more is written
        raise
    finally:
        if writer is not None:
            writer.results.put(None)
            if writer.is_alive():
                writer.join()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()
        _model = None
    if writer is not None:
        if writer.failed is not None:
            from concurrent.futures.process import BrokenProcessPool

            if isinstance(writer.failed, BrokenProcessPool):
                raise WorkerDied("a worker process died (killed, or out of memory?); "
                                 "the answers before its lines were written") from writer.failed
            raise writer.failed
        bad += writer.bad
    return bad


def _start_pool(workers: int) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    gc.collect()
    gc.freeze()  # the model's objects stay shared with the workers (no copy on GC writes)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_init)
    return pool
