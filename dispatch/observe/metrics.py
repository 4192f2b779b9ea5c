"""The Prometheus metrics every process exposes at /metrics (docs/deployment.md).

Counters and histograms are recorded where things happen (the update handler, the NLU
call, the relay); the gauges about the database (outbox backlog, overdue cases) are set at
scrape time by `dispatch.service.health.refresh_gauges`. Each process has its own registry
contents and serves them itself; in compose every bot container is one process."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE_LATEST", "render"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
NLU_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)

UPDATES = Counter("gridbot_updates_total", "Telegram updates handled, by kind", ["kind"])
HANDLER_SECONDS = Histogram("gridbot_update_handler_seconds", "Time to handle one update",
                            buckets=LATENCY_BUCKETS)
NLU_SECONDS = Histogram("gridbot_nlu_seconds", "Time to classify one message", buckets=NLU_BUCKETS)
DELIVERIES = Counter("gridbot_deliveries_total", "Outbox rows the relay finished, by result", ["result"])
OUTBOX_PENDING = Gauge("gridbot_outbox_pending", "Notifications waiting in the outbox")
OUTBOX_OLDEST_SECONDS = Gauge("gridbot_outbox_oldest_pending_seconds",
                              "Age of the oldest pending notification (0: none)")
OVERDUE = Gauge("gridbot_cases_overdue", "Cases awaiting handling past their deadline, by unit", ["unit"])


def render() -> bytes:
    """The text exposition format of everything registered."""
    return bytes(generate_latest())
