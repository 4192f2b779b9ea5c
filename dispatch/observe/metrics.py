"""The Prometheus metrics every process exposes at /metrics (docs/deployment.md).

Counters and histograms are recorded where things happen (the update handler, the NLU
call, the relay); the gauges about the database (outbox backlog, overdue cases) are set at
scrape time by `dispatch.service.health.refresh_gauges`. Each process has its own registry
contents and serves them itself; in compose every bot container is one process.

`gridbot run --workers N` is one parent and N worker processes: there prometheus_client's
multiprocess mode is on (`PROMETHEUS_MULTIPROC_DIR`, set by the parent before anything
imports prometheus_client, inherited by the workers). Every process writes its values to
files of its own in that directory and `render` merges them: counters and histograms summed
over the processes, dead ones included (what they counted stays counted), the gauges — set
by the parent only — the most recent value."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = [
    "CONTENT_TYPE_LATEST", "MULTIPROC_ENV", "multiprocess_dir", "process_dead", "render", "set_overdue",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
NLU_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)

UPDATES = Counter("gridbot_updates_total", "Telegram updates handled, by kind", ["kind"])
HANDLER_SECONDS = Histogram("gridbot_update_handler_seconds", "Time to handle one update",
                            buckets=LATENCY_BUCKETS)
NLU_SECONDS = Histogram("gridbot_nlu_seconds", "Time to classify one message", buckets=NLU_BUCKETS)
DELIVERIES = Counter("gridbot_deliveries_total", "Outbox rows the relay finished, by result", ["result"])
# Set by one process only (the one that serves /metrics); with several processes the most
# recent value is the one shown (one process per container: the mode changes nothing).
OUTBOX_PENDING = Gauge("gridbot_outbox_pending", "Notifications waiting in the outbox",
                       multiprocess_mode="livemostrecent")
OUTBOX_OLDEST_SECONDS = Gauge("gridbot_outbox_oldest_pending_seconds",
                              "Age of the oldest pending notification (0: none)",
                              multiprocess_mode="livemostrecent")
OVERDUE = Gauge("gridbot_cases_overdue", "Cases awaiting handling past their deadline, by unit", ["unit"],
                multiprocess_mode="livemostrecent")

_overdue_units: set[str] = set()


def multiprocess_dir() -> str | None:
    """The directory of multiprocess mode, or None (one process: its own registry)."""
    return os.environ.get(MULTIPROC_ENV) or None


def set_overdue(counts: dict[str, int]) -> None:
    """The overdue gauge: one series per unit with overdue cases. A unit whose cases are no
    longer overdue drops out; in multiprocess mode a series cannot be removed from the files,
    so it is set to 0 instead."""
    if multiprocess_dir() is None:
        OVERDUE.clear()
    else:
        for unit in _overdue_units - counts.keys():
            OVERDUE.labels(unit=unit).set(0)
    for unit, count in counts.items():
        OVERDUE.labels(unit=unit).set(count)
    _overdue_units.update(counts)


def process_dead(pid: int) -> None:
    """A process of this multiprocess group has exited: its live gauges go (its counts stay)."""
    path = multiprocess_dir()
    if path is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, path)


def render() -> bytes:
    """The text exposition format of everything registered — of every process of the group in
    multiprocess mode."""
    path = multiprocess_dir()
    if path is None:
        return bytes(generate_latest())
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path)
    return bytes(generate_latest(registry))
