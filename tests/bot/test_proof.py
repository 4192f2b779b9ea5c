"""The production path under load and faults, short enough for CI: `gridbot bench proof` with
300 reports from 30 residents — two webhook workers and the relay on PostgreSQL and Redis
(servers of the run's own), 20 % of all Bot API calls failing, one SIGKILL of a worker and one
of the relay, PostgreSQL crash-restarted and Redis restarted once each. Every report a
resident was told was accepted is in the database exactly once, every notification is
delivered, and the duplicates are the ones a lost Bot API answer or a relay kill explains."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# At most what the relay sends between two records of its progress (tick_s = 1 s at Telegram's
# 30 messages/s); measured 0–12 (README, Measured: proof).
MAX_DUPLICATES_PER_RELAY_KILL = 30


def test_reports_and_notifications_survive_kills_restarts_and_faults():
    if not os.environ.get("GRIDBOT_TEST_PG_URL"):
        pytest.skip("GRIDBOT_TEST_PG_URL not set (the PostgreSQL test environment)")
    if not (shutil.which("redis-server") and (shutil.which("pg_ctl") or os.path.exists("/usr/lib/postgresql/15/bin"))):
        pytest.skip("needs PostgreSQL 15 and redis-server installed")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (os.getcwd(), os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridbot", "bench", "proof", "--reports", "300", "--residents", "30",
         "--worker-kills", "1", "--relay-kills", "1", "--postgres-restarts", "1", "--redis-restarts", "1",
         "--seed", "3", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        out, err = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        proc.terminate()  # the command stops its processes and servers on SIGTERM
        out, err = proc.communicate(timeout=60)
        pytest.fail(f"the proof did not finish in 15 minutes: {err[-2000:]}")
    assert proc.returncode in (0, 1) and out.strip(), err[-3000:]
    r = json.loads(out.strip().splitlines()[-1])
    print(f"\nproof: {json.dumps({k: v for k, v in r.items() if k not in ('config', 'examples')}, ensure_ascii=False)}")
    assert [e["what"] for e in r["chaos"]].count("worker") == 1
    assert [e["what"] for e in r["chaos"]].count("relay") == 1
    assert {e["what"] for e in r["chaos"]} == {"worker", "relay", "postgres", "redis"}
    assert r["starts"]["relay"] == 2 and sum(r["starts"].values()) == 5  # each killed one came back
    assert r["reports_told_accepted"] >= 0.97 * 300, r  # the rest gave up at a restart, never told
    assert r["lost"] == 0, r["examples"]
    # A conversation whose state was lost mid-report (a worker killed, Redis restarted) can make
    # the bot take the resident's next answer ("跳过") as a new report: measured 0 and 1.
    assert r["wrong"] <= 2, r["examples"]
    # A report is in the database twice only when the bot committed it and its answer did not
    # reach the resident in time (a worker killed between, the database restarted under the
    # commit's answer), so the resident reported again: never two numbers told for one report.
    # Such an answer may still come late — a press handled after Telegram stopped waiting is
    # answered, not dropped — while the resident is on the next report, who then takes it for
    # that one (counted in "wrong"): each such late answer explains one report made twice.
    assert r["accepted_twice"] <= r["cases_not_told"] + r["wrong"], r["examples"]
    assert r["accepted_twice"] <= 0.10 * 300, r["examples"]  # measured 7, 8, 13
    assert r["notifications_undelivered"] == 0, r["outbox"]
    # Duplicates: after a lost Bot API answer, after a relay kill (counted right after it), and
    # at the database restart a part sent while the relay could not record it — one for each
    # case the relay was delivering at that moment (it delivers up to 16 cases' messages at
    # once): measured 0, 1 and 2.
    assert r["unexplained_duplicates"] <= 2
    assert max(r["duplicates_per_relay_kill"]) <= MAX_DUPLICATES_PER_RELAY_KILL
    assert proc.returncode == 0
