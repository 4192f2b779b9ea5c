"""`gridbot bench nlu --classify FILE`: `gridbot nlu classify < FILE` end to end, as a user runs it.

Each run is a fresh process (interpreter start, imports, model load, reading, predicting,
writing — everything), timed from start to exit. Reported per run: wall time, the CPU
time of the process and its workers (user + system, from the children's resource usage),
the 1-minute load average just before it; then the median wall time, messages per second
(answered lines / median wall) and CPU time per message. The output of every run is hashed:
the runs (and any `--workers`) must agree byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _command(model: Path | None, workers: int | None) -> list[str]:
    exe = shutil.which("gridbot")
    cmd = [exe] if exe else [sys.executable, "-m", "gridbot.cli"]
    cmd += ["nlu", "classify"]
    if model is not None:
        cmd += ["--model", str(model)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    return cmd


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_classify(path: Path, runs: int = 3, workers: int | None = None,
                 model: Path | None = None) -> dict[str, Any]:
    cmd = _command(model, workers)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-nlu-") as tmp:
        out_path = Path(tmp) / "out.jsonl"
        for _ in range(runs):
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
            with open(path, "rb") as stdin, open(out_path, "wb") as stdout:
                c0, t0 = _children_cpu(), time.perf_counter()
                proc = subprocess.run(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
                wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
            data = out_path.read_bytes()
            rows.append({"wall_s": wall, "cpu_s": cpu, "load_average": load, "exit_status": proc.returncode,
                         "answered": data.count(b"\n"), "bad_lines": proc.stderr.count(b"\n"),
                         "sha256": hashlib.sha256(data).hexdigest()})
    wall = statistics.median(r["wall_s"] for r in rows)
    cpu = statistics.median(r["cpu_s"] for r in rows)
    answered = rows[0]["answered"]
    return {
        "command": " ".join(cmd) + f" < {path}",
        "runs": rows,
        "answered": answered,
        "median_wall_s": wall,
        "msgs_per_s": answered / wall if wall else float("nan"),
        "cpu_us_per_msg": cpu / answered * 1e6 if answered else float("nan"),
        "identical_output": len({r["sha256"] for r in rows}) == 1,
    }


def format_classify(r: dict[str, Any]) -> str:
    lines = [r["command"]]
    for i, row in enumerate(r["runs"], 1):
        la = row["load_average"]
        lines.append(f"  run {i}: {row['wall_s']:.2f} s wall, {row['cpu_s']:.2f} s CPU, "
                     f"exit {row['exit_status']}, {row['answered']} answered, {row['bad_lines']} bad"
                     + (f", load average {la:.1f}" if la is not None else ""))
    lines.append(f"median {r['median_wall_s']:.2f} s: {r['msgs_per_s']:,.0f} messages/s end to end, "
                 f"CPU {r['cpu_us_per_msg']:.0f} µs per message; output identical across runs: "
                 f"{'yes' if r['identical_output'] else 'NO'}")
    return "\n".join(lines)
