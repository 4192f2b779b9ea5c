"""`gridbot nlu classify` with worker processes: the same bytes as one process, lines in their
place, bad lines reported where they are, interactive use answered at once, a closed stdout
or a killed parent never leaves anything hanging."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nlu.benchset import BAD_LINES, message_lines

NLU = [sys.executable, "-m", "nlu.cli"]
LINUX = sys.platform == "linux"


def _dev_texts() -> list[str]:
    from nlu.api import PACKAGED_DEV_DIR
    from nlu.corpus import load_examples

    return [e.text for e in load_examples([PACKAGED_DEV_DIR])]


def _varied(n: int, seed: int = 0) -> list[bytes]:
    """`n` varied lines (single, joined and long messages, addresses, phones, emoji…) with bad
    and blank lines among them."""
    lines = message_lines(_dev_texts(), n, seed=seed)
    for k, bad in enumerate(BAD_LINES):
        lines.insert((k + 1) * n // (len(BAD_LINES) + 1), bad)
    lines.insert(n // 3, b"   ")
    return lines


class _RecordingPids:
    """A model that notes which process answered each batch."""

    def __init__(self, model, path: Path) -> None:
        self.model, self.path = model, path

    def predict(self, text):
        return self.model.predict(text)

    def predict_batch(self, texts):
        with open(self.path, "a") as f:
            f.write(f"{os.getpid()}\n")
        return self.model.predict_batch(texts)


def test_pool_answers_exactly_as_each_line_alone(tmp_path):
    """A few hundred varied messages in reads of every size through two workers: byte for byte
    what each line alone gets (the stream's one-message path), errors in place, same count."""
    from nlu.api import load_model
    from nlu.pool import classify_pooled
    from nlu.stream import answer_lines

    model = load_model()
    lines = _varied(600)
    sizes = [1, 250, 3, 120, 61, 1, 400]
    batches, i = [], 0
    while i < len(lines):
        size = sizes[len(batches) % len(sizes)]
        batches.append(lines[i:i + size])
        i += size
    pids = tmp_path / "pids"
    out: list[bytes] = []
    errors: list[str] = []
    bad = classify_pooled(_RecordingPids(model, pids), batches, out.append, errors.append,
                          workers=2, min_lines=100)

    alone = [answer_lines(model, [raw], n) for n, raw in enumerate(lines, 1)]
    assert b"".join(out) == b"".join(a.out for a in alone)
    assert errors == [e for a in alone for e in a.errors]
    assert bad == len(BAD_LINES) == len(errors)
    assert len(b"".join(out).splitlines()) == len(lines) - len(BAD_LINES) - 1  # a blank line is no line
    used = {int(p) for p in pids.read_text().split()}
    assert len(used - {os.getpid()}) == 2, "both workers answered"
    assert os.getpid() in used, "the small reads before the first big one are answered at once"


def test_strict_in_the_pool_stops_at_the_first_bad_line(tiny_model):
    from nlu.pool import classify_pooled
    from nlu.stream import classify_batches

    lines = [json.dumps({"id": i, "text": "菜市场门口有人摆摊"}).encode() for i in range(2000)]
    lines[1234] = b"{oops"
    lines[1500] = b"[]"
    batches = [lines[i:i + 300] for i in range(0, len(lines), 300)]
    one: list[bytes] = []
    one_err: list[str] = []
    assert classify_batches(tiny_model, batches, one.append, one_err.append, strict=True) == 1
    out: list[bytes] = []
    errors: list[str] = []
    assert classify_pooled(tiny_model, batches, out.append, errors.append, strict=True,
                           workers=2, min_lines=100) == 1
    assert b"".join(out) == b"".join(one)
    assert [json.loads(x)["id"] for x in b"".join(out).splitlines()] == list(range(1234))
    assert errors == one_err and errors[0].startswith("line 1235: invalid JSON")


def _write_input(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _classify(model_dir: Path, stdin: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    with open(stdin, "rb") as f:
        return subprocess.run(NLU + ["classify", "--model", str(model_dir), *extra], stdin=f,
                              capture_output=True, timeout=300)


def test_bad_lines_in_a_large_input_keep_their_place(tiny_model_dir, tmp_path):
    """A file read in 64 KiB pieces (hundreds of lines each, so the workers answer): the same
    stdout, stderr and exit status as one process, with and without --strict."""
    lines = _varied(3000, seed=1)
    data = _write_input(tmp_path / "in.jsonl", lines)
    one = _classify(tiny_model_dir, data, "--workers", "1")
    two = _classify(tiny_model_dir, data, "--workers", "2")
    assert one.returncode == two.returncode == 1
    assert two.stdout == one.stdout and two.stderr == one.stderr
    expected = [n for n, raw in enumerate(lines, 1) if raw in BAD_LINES]
    assert [int(m) for m in re.findall(r"^gridbot nlu classify: line (\d+): ", two.stderr.decode(), re.M)] \
        == expected
    assert len(two.stdout.splitlines()) == len(lines) - len(expected) - 1
    ids = [json.loads(x)["id"] for x in two.stdout.splitlines()]
    assert ids == [json.loads(raw)["id"] for raw in lines if raw not in BAD_LINES and raw.strip()]

    one = _classify(tiny_model_dir, data, "--workers", "1", "--strict")
    two = _classify(tiny_model_dir, data, "--workers", "2", "--strict")
    assert one.returncode == two.returncode == 1
    assert two.stdout == one.stdout and two.stderr == one.stderr
    assert len(two.stderr.decode().splitlines()) == 1


def _worker_pids(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_one_line_at_a_time_after_the_workers_started(tiny_model_dir):
    """A program sends a big block, then one line at a time and waits for each answer: the
    block goes to the workers, and each later line is answered before the next is sent."""
    p = subprocess.Popen(NLU + ["classify", "--model", str(tiny_model_dir), "--workers", "2"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        block = b"".join(json.dumps({"id": i, "text": "垃圾桶满了没人收"}).encode() + b"\n"
                         for i in range(400))
        p.stdin.write(block)  # written long before the model is loaded: one read gets it all
        p.stdin.flush()
        with ThreadPoolExecutor(1) as reader:
            for i in range(400):
                assert json.loads(reader.submit(p.stdout.readline).result(timeout=120))["id"] == i
            assert len(_worker_pids(p.pid)) == 2, "the block went to two workers"
            for i in range(400, 403):
                p.stdin.write(json.dumps({"id": i, "text": "菜市场门口有人摆摊"}).encode() + b"\n")
                p.stdin.flush()  # the stream stays open: the answer must come anyway
                assert json.loads(reader.submit(p.stdout.readline).result(timeout=60))["id"] == i
        p.stdin.close()
        assert p.wait(timeout=60) == 0, p.stderr.read().decode()
    finally:
        p.kill()
        p.wait()


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_a_closed_stdout_ends_the_run_and_its_workers(tiny_model_dir, tmp_path):
    good = [raw for raw in message_lines(_dev_texts(), 20000, seed=2) if raw not in BAD_LINES]
    data = _write_input(tmp_path / "in.jsonl", good)  # every line good: exit status 1 is the pipe
    with open(data, "rb") as f:
        p = subprocess.Popen(NLU + ["classify", "--model", str(tiny_model_dir), "--workers", "2"],
                             stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert json.loads(p.stdout.readline())["id"] == "m000001"
        workers = _worker_pids(p.pid)
        p.stdout.close()  # as `| head -1` does
        assert p.wait(timeout=60) == 1
        err = p.stderr.read().decode()
        assert "Traceback" not in err and "Error" not in err, err
        assert not [w for w in workers if _alive(w)]
    finally:
        p.kill()
        p.wait()


def _pooled_run(model_dir, tmp_path, seed: int, **popen: object) -> subprocess.Popen:
    """`nlu classify --workers 2` on 20,000 varied lines read from a file."""
    data = _write_input(tmp_path / "in.jsonl", _varied(20000, seed=seed))
    with open(data, "rb") as f:
        return subprocess.Popen(NLU + ["classify", "--model", str(model_dir), "--workers", "2"],
                                stdin=f, stdout=subprocess.PIPE, **popen)  # type: ignore[call-overload]


def _none_alive(pids: list[int], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while [w for w in pids if _alive(w)] and time.monotonic() < deadline:
        time.sleep(0.1)
    return not [w for w in pids if _alive(w)]


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_workers_do_not_outlive_a_killed_parent(tiny_model_dir, tmp_path):
    p = _pooled_run(tiny_model_dir, tmp_path, 3, stderr=subprocess.DEVNULL)
    try:
        p.stdout.readline()
        workers = _worker_pids(p.pid)
        assert workers
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        assert _none_alive(workers, 30)
    finally:
        p.kill()
        p.wait()


def test_the_bench_set_is_repeatable_and_varied(tmp_path):
    from nlu.benchset import BAD_EVERY, message_texts

    texts = _dev_texts()
    a = message_lines(texts, 4000, seed=5)
    assert a == message_lines(texts, 4000, seed=5) and a != message_lines(texts, 4000, seed=6)
    assert sum(raw in BAD_LINES for raw in a) == 4000 // BAD_EVERY
    msgs = [json.loads(raw)["text"] for raw in a if raw not in BAD_LINES]
    assert len(set(msgs)) < len(msgs)  # drawn with repeats, as messages come
    assert any(len(m) > 150 for m in msgs) and any("电话" in m for m in msgs)
    unique = message_texts(texts, 4000, seed=5, unique=True)
    assert len(set(unique)) == 4000


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_ctrl_c_ends_the_run_and_its_workers(tiny_model_dir, tmp_path):
    """Ctrl-C reaches the whole process group: the parent ends its workers, no traceback."""
    # SIGINT as a terminal delivers it (a background job may inherit it ignored)
    p = _pooled_run(tiny_model_dir, tmp_path, 4, stderr=subprocess.PIPE, start_new_session=True,
                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        p.stdout.readline()
        workers = _worker_pids(p.pid)
        assert workers
        os.killpg(p.pid, signal.SIGINT)
        p.stdout.read()
        assert p.wait(timeout=60) != 0
        err = [line for line in p.stderr.read().decode().splitlines() if ": line " not in line]
        assert not [line for line in err if "Traceback" in line or "Error" in line], err
        assert _none_alive(workers, 10)
    finally:
        p.kill()
        p.wait()


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_a_killed_worker_is_one_clear_error(tiny_model_dir, tmp_path):
    p = _pooled_run(tiny_model_dir, tmp_path, 5, stderr=subprocess.PIPE)
    try:
        p.stdout.readline()
        workers = sorted(_worker_pids(p.pid))
        os.kill(workers[0], signal.SIGKILL)
        out = p.stdout.read()
        assert p.wait(timeout=60) == 1
        assert len(out.splitlines()) < 19990  # not every line was answered
        err = p.stderr.read().decode()
        assert "gridbot nlu: error: a worker process died" in err and "Traceback" not in err, err
        assert _none_alive(workers, 10)
    finally:
        p.kill()
        p.wait()
