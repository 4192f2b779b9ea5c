"""The metrics directory of `--workers N` (gridbot/processes/metrics_dir.py) and the gauges in
multiprocess mode (dispatch/observe/metrics.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gridbot.processes.metrics_dir import MetricsDirError, multiprocess_metrics, remove_stale

OVERDUE_SCRIPT = """
import os, sys
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
from dispatch.observe import metrics
metrics.set_overdue({"zf-a": 3, "zf-b": 1})
metrics.set_overdue({"zf-b": 2})
metrics.OUTBOX_PENDING.set(5)
sys.stdout.write(metrics.render().decode())
"""


def test_a_dead_runs_directory_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f"gridbot-metrics-{gone.stdout.strip()}-abc"
    live = tmp_path / f"gridbot-metrics-{os.getppid()}-def"
    other = tmp_path / "gridbot-metrics-notapid"
    for d in (dead, live, other):
        d.mkdir()
        (d / "counter_1.db").write_bytes(b"x")
    assert remove_stale(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and other.exists()


def test_it_refuses_once_prometheus_client_is_imported() -> None:
    import prometheus_client  # noqa: F401  (this test process has it)

    with multiprocess_metrics(False) as path:  # one process: nothing to do
        assert path is None and "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    with pytest.raises(MetricsDirError, match="before prometheus_client"), multiprocess_metrics(True):
        pass


def test_gauges_in_multiprocess_mode(tmp_path: Path) -> None:
    """A unit no longer overdue shows 0 (a series cannot leave the files); one series each, no pid."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", OVERDUE_SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, check=True, env=env).stdout
    lines = [line for line in out.splitlines() if not line.startswith("#")]
    assert 'gridbot_cases_overdue{unit="zf-a"} 0.0' in lines
    assert 'gridbot_cases_overdue{unit="zf-b"} 2.0' in lines
    assert "gridbot_outbox_pending 5.0" in lines and "pid=" not in out
