"""Operations endpoints of every long-running process: /healthz, /readyz, /metrics."""
