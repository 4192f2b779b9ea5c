#!/usr/bin/env bash
# The README's path on a fresh machine, checked end to end: a new virtualenv, the project
# installed the README's way (`pip install -e .`, no extras), `gridbot sandbox` started from
# that venv on an empty data directory with free ports, the chat page and the console's login
# page fetched over plain HTTP, then Ctrl+C: the sandbox must exit 0 without a traceback and
# leave no process behind. Any failure exits non-zero with a line saying what failed.
# Usage: bash scripts/newcomer.sh   (NEWCOMER_START_TIMEOUT=seconds, default 240)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start_timeout=${NEWCOMER_START_TIMEOUT:-240}
stop_timeout=30

work=$(mktemp -d "${TMPDIR:-/tmp}/gridbot-newcomer.XXXXXX")
pid=""
egg_info_was_there=$([ -e "$root/gridbot.egg-info" ] && echo 1 || true)

cleanup() {
  if [ -n "$pid" ] && pgrep -g "$pid" >/dev/null 2>&1; then
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  # the editable install writes its metadata into the checkout: leave the checkout as found
  [ -n "$egg_info_was_there" ] || rm -rf "$root/gridbot.egg-info"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "newcomer: FAILED: $*" >&2
  for f in out err; do
    if [ -s "$work/$f" ]; then
      echo "--- gridbot sandbox std$f:" >&2
      tail -n 40 "$work/$f" >&2
    fi
  done
  exit 1
}

step() { echo "newcomer: $*"; }

# -- install the README's way, in a venv that sees nothing of this machine's packages --------
step "python3 -m venv"
python3 -m venv "$work/venv" || fail "python3 -m venv could not create a virtualenv"
step "pip install -e . (no extras)"
if ! env -u PYTHONPATH "$work/venv/bin/python" -m pip install -q -e "$root" >"$work/pip.log" 2>&1; then
  tail -n 30 "$work/pip.log" >&2
  fail "pip install -e . failed"
fi
[ -x "$work/venv/bin/gridbot" ] || fail "pip install -e . installed no gridbot command"

# -- start the sandbox on free ports, on an empty data directory ------------------------------
read -r chat_port admin_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
EOF
)
mkdir "$work/run" "$work/data"
step "gridbot sandbox --port $chat_port --admin-port $admin_port (data in an empty directory)"
set -m  # the sandbox gets its own process group, as in a terminal
(
  cd "$work/run"
  exec env -i PATH="$work/venv/bin:/usr/local/bin:/usr/bin:/bin" HOME="$work" LANG=C.UTF-8 \
    GRIDBOT_DATA_DIR="$work/data" \
    gridbot sandbox --host 127.0.0.1 --port "$chat_port" --admin-port "$admin_port"
) >"$work/out" 2>"$work/err" </dev/null &
pid=$!
set +m

chat_url="" admin_url=""
deadline=$((SECONDS + start_timeout))
while :; do
  chat_url=$(sed -n 's/^gridbot sandbox: \(http[^ ]*\).*/\1/p' "$work/out" | head -n 1)
  admin_url=$(sed -n 's/^ *admin console: \(http[^ ]*\).*/\1/p' "$work/out" | head -n 1)
  if [ -n "$chat_url" ] && [ -n "$admin_url" ] && grep -q "Ctrl+C stops" "$work/out"; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && code=0 || code=$?
    pid=""
    fail "gridbot sandbox exited (status $code) before printing the chat page and console URLs"
  fi
  [ "$SECONDS" -lt "$deadline" ] || fail "gridbot sandbox printed no URLs within ${start_timeout} s"
  sleep 0.5
done
step "chat page $chat_url, console $admin_url"

# -- plain HTTP: status 200 and the expected content ------------------------------------------
check_page() {  # url, what, text that must appear
  if ! env -u PYTHONPATH python3 - "$1" "$3" <<'EOF'
import sys
import urllib.request

url, needle = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen(url, timeout=20) as r:
        status, body = r.status, r.read().decode("utf-8", "replace")
except Exception as exc:
    sys.exit(f"{url}: {exc}")
if status != 200:
    sys.exit(f"{url}: HTTP {status}")
if needle not in body:
    sys.exit(f"{url}: answered 200 but without {needle!r}")
EOF
  then
    fail "$2 did not answer as expected"
  fi
  step "$2: 200, content as expected"
}
check_page "$chat_url" "the chat page" "网格通"
check_page "${admin_url%/}/login" "the console's login page" 'name="password"'

# -- Ctrl+C: a clean exit, nothing left running ------------------------------------------------
step "Ctrl+C"
kill -INT -- "-$pid"
deadline=$((SECONDS + stop_timeout))
while kill -0 "$pid" 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "gridbot sandbox still running ${stop_timeout} s after Ctrl+C"
  sleep 0.2
done
wait "$pid" && code=0 || code=$?
[ "$code" -eq 0 ] || fail "gridbot sandbox exited with status $code after Ctrl+C"
if grep -q "Traceback" "$work/err"; then
  fail "gridbot sandbox printed a traceback"
fi
sleep 0.5
if left=$(pgrep -a -g "$pid"); then
  fail "processes left behind after Ctrl+C: $left"
fi
pid=""
step "OK: the README's install gives the chat page and the console, and stops cleanly"
