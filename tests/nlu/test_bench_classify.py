"""`gridbot bench nlu --write-set` and `--classify`: the input set and its end-to-end timing."""

import json
import subprocess
import sys

NLU = [sys.executable, "-m", "nlu.cli"]


def test_write_a_set_and_time_classify_on_it(tiny_model_dir, tmp_path):
    data = tmp_path / "set.jsonl"
    r = subprocess.run(NLU + ["bench", "--write-set", str(data), "--n", "4000", "--seed", "3"],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert "4000 lines, 2 of them malformed" in r.stderr.decode()
    assert len(data.read_bytes().splitlines()) == 4000
    r = subprocess.run(NLU + ["bench", "--classify", str(data), "--runs", "2", "--workers", "2",
                              "--model", str(tiny_model_dir), "--json"], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    result = json.loads(r.stdout)
    assert result["identical_output"] and result["answered"] == 3998
    assert [run["exit_status"] for run in result["runs"]] == [1, 1]  # the malformed lines
    assert [run["bad_lines"] for run in result["runs"]] == [2, 2]
    assert result["msgs_per_s"] > 0 and result["cpu_us_per_msg"] > 0


def test_classify_needs_a_file(tmp_path):
    r = subprocess.run(NLU + ["bench", "--classify", str(tmp_path / "nope.jsonl")], capture_output=True,
                       timeout=120)
    assert r.returncode == 1 and "no such file" in r.stderr.decode() and "Traceback" not in r.stderr.decode()
