"""Observability leaves: Prometheus metrics and the log context (case number, update id).
Imported by every layer; imports nothing of gridbot's."""
