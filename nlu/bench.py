"""`gridbot bench nlu`: how fast the NLU is, on one core.

Measures model load time (cold: first load in this process, including the
numpy and jieba imports; warm: a second load), batch throughput of `predict_batch`
and of a `predict` loop, single-message latency percentiles, the start-up of
`gridbot nlu classify` for one message (a fresh process), and optionally the
training time. Prediction runs in one thread (one core at a time); `--pin` also
pins the process to one CPU. Wall-clock numbers suffer when other processes
share the CPU, so throughput is also given per CPU-second of this process and
latency also as per-message CPU time, and the load average is printed.

Mount it (gridbot/cli/__init__.py):  `from nlu.bench import bench`
                            `bench_app.command("nlu")(bench)`
It is also available as `gridbot nlu bench`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        return f"pinned to CPU {cpus[0]}"
    return "not pinned (no sched_setaffinity)"


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def _messages(n: int) -> list[str]:
    from nlu.api import PACKAGED_DEV_DIR, PACKAGED_TRAIN_DIR
    from nlu.corpus import load_examples

    src = PACKAGED_DEV_DIR if PACKAGED_DEV_DIR.is_dir() else PACKAGED_TRAIN_DIR
    texts = [e.text for e in load_examples([src])]
    if not texts:
        texts = ["五丰菜市场门口有人摆摊卖水果，占了半条路"]
    return [texts[i % len(texts)] for i in range(n)]


def _startup_seconds(model: Path | None, repeats: int = 3) -> float:
    exe = shutil.which("gridbot")
    cmd = [exe] if exe else [sys.executable, "-c", "from gridbot.cli import main; main()"]
    cmd += ["nlu", "classify"] + (["--model", str(model)] if model else [])
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, input=b'{"id":"a","text":"\xe4\xbd\xa0\xe5\xa5\xbd"}\n',
                       capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def run_bench(model: Path | None = None, n: int = 20000, latency_n: int = 5000,
              with_training: bool = False, with_startup: bool = True,
              pin: bool = False) -> dict[str, Any]:
    pinned = _pin_one_core() if pin else "one thread (prediction is single-threaded), not pinned"
    t = time.perf_counter()
    from nlu.api import load_model

    m = load_model(model)
    load_cold = time.perf_counter() - t
    t = time.perf_counter()
    load_model(model)
    load_warm = time.perf_counter() - t

    msgs = _messages(n)
    m.predict_batch(msgs[:200])  # warm-up
    t, c = time.perf_counter(), time.process_time()
    m.predict_batch(msgs)
    batch_s, batch_cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    for s in msgs[: n // 4]:
        m.predict(s)
    loop_s = time.perf_counter() - t

    lat: list[float] = []
    lat_cpu: list[float] = []
    for s in msgs[:latency_n]:
        t0, c0 = time.perf_counter(), time.thread_time()
        m.predict(s)
        lat.append((time.perf_counter() - t0) * 1000.0)
        lat_cpu.append((time.thread_time() - c0) * 1000.0)
    lat.sort()
    lat_cpu.sort()
    result: dict[str, Any] = {
        "cpu": pinned,
        "messages": n,
        "mean_chars": sum(map(len, msgs)) / len(msgs),
        "batch_msgs_per_s": n / batch_s,
        "batch_msgs_per_cpu_s": n / batch_cpu,
        "loop_msgs_per_s": (n // 4) / loop_s,
        "latency_ms": {"p50": _percentile(lat, 50), "p95": _percentile(lat, 95),
                       "p99": _percentile(lat, 99), "max": lat[-1]},
        "latency_cpu_ms": {"p50": _percentile(lat_cpu, 50), "p95": _percentile(lat_cpu, 95),
                           "p99": _percentile(lat_cpu, 99)},
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "long_10k_chars_ms": None,
        "model_load_s": {"cold": load_cold, "warm": load_warm},
    }
    long_text = (msgs[0] * (10000 // max(1, len(msgs[0])) + 1))[:10000]
    t = time.perf_counter()
    m.predict(long_text)
    result["long_10k_chars_ms"] = (time.perf_counter() - t) * 1000.0
    if with_startup:
        result["classify_startup_s"] = _startup_seconds(model)
    if with_training:
        from nlu.api import PACKAGED_TRAIN_DIR
        from nlu.artifact import save_model
        from nlu.corpus import load_examples
        from nlu.train import train

        t = time.perf_counter()
        trained = train(load_examples([PACKAGED_TRAIN_DIR]), data_paths=[PACKAGED_TRAIN_DIR])
        with tempfile.TemporaryDirectory() as d:
            save_model(trained, Path(d))
        result["training_s"] = time.perf_counter() - t
    return result


def format_bench(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    cl = r["latency_cpu_ms"]
    la = r.get("load_average")
    rows = [
        ("cpu", r["cpu"] + (f", load average {la[0]:.1f}" if la else "")),
        ("messages (mean chars)", f"{r['messages']} ({r['mean_chars']:.0f})"),
        ("batch throughput", f"{r['batch_msgs_per_s']:,.0f} msgs/s "
                             f"({r['batch_msgs_per_cpu_s']:,.0f} per CPU-second)"),
        ("predict() loop throughput", f"{r['loop_msgs_per_s']:,.0f} msgs/s"),
        ("latency p50 / p95 / p99", f"{lat['p50']:.3f} / {lat['p95']:.3f} / {lat['p99']:.3f} ms"),
        ("latency max", f"{lat['max']:.3f} ms"),
        ("CPU time p50 / p95 / p99", f"{cl['p50']:.3f} / {cl['p95']:.3f} / {cl['p99']:.3f} ms"),
        ("10,000-char message", f"{r['long_10k_chars_ms']:.1f} ms"),
        ("model load cold / warm", f"{r['model_load_s']['cold']:.3f} / {r['model_load_s']['warm']:.3f} s"),
    ]
    if "classify_startup_s" in r:
        rows.append(("`gridbot nlu classify` 1 msg", f"{r['classify_startup_s']:.3f} s"))
    if "training_s" in r:
        rows.append(("training (packaged corpus)", f"{r['training_s']:.1f} s"))
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def bench(
    model: Annotated[Path | None, typer.Option(
        "--model", help="Model directory (default: packaged).")] = None,
    n: Annotated[int, typer.Option("--n", help="Messages for the throughput run.")] = 20000,
    train: Annotated[bool, typer.Option(
        "--train", help="Also time training on the packaged corpus.")] = False,
    startup: Annotated[bool, typer.Option(
        "--startup/--no-startup", help="Time `gridbot nlu classify` start-up.")] = True,
    pin: Annotated[bool, typer.Option(
        "--pin/--no-pin", help="Pin the process to one CPU (sched_setaffinity).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    write_set: Annotated[Path | None, typer.Option(
        "--write-set", help="Only write an input for `nlu classify`: --n JSON lines drawn from the "
        "training texts, with variety and a few malformed lines (nlu/benchset.py).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="With --write-set.")] = 0,
    unique: Annotated[bool, typer.Option(
        "--unique", help="With --write-set: every message text distinct.")] = False,
    classify: Annotated[Path | None, typer.Option(
        "--classify", help="Only time `gridbot nlu classify < FILE` end to end (fresh processes).")] = None,
    runs: Annotated[int, typer.Option("--runs", min=1, help="With --classify.")] = 3,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=0, help="With --classify: passed to `nlu classify` (default: its own).")] = None,
) -> None:
    """NLU speed: batch msgs/s on one core, latency p50/p95/p99, load, start-up, training;
    or the end-to-end `nlu classify` time on a file (--classify), or such a file (--write-set)."""
    if write_set is not None:
        from nlu.benchset import write_set as write_messages

        bad = write_messages(write_set, n=n, seed=seed, unique=unique)
        typer.echo(f"wrote {write_set}: {n} lines, {bad} of them malformed", err=True)
        return
    if classify is not None:
        from nlu.bench_classify import format_classify, run_classify

        if not classify.is_file():
            typer.echo(f"gridbot bench nlu: error: {classify}: no such file", err=True)
            raise typer.Exit(1)
        rc = run_classify(classify, runs=runs, workers=workers, model=model)
        typer.echo(json.dumps(rc, indent=2) if as_json else format_classify(rc))
        return
    r = run_bench(model, n=n, with_training=train, with_startup=startup, pin=pin)
    typer.echo(json.dumps(r, indent=2) if as_json else format_bench(r))
