#!/usr/bin/env bash
# Start throwaway PostgreSQL 15 and Redis servers on loopback ports for the tests.
# Prints the environment to export. Usage: eval "$(bash .ci/services.sh start)"
set -euo pipefail
PG_PORT="${GRIDBOT_CI_PG_PORT:-55432}"
REDIS_PORT="${GRIDBOT_CI_REDIS_PORT:-56379}"
BASE="${GRIDBOT_CI_DIR:-/tmp/gridbot-ci}"
PG_BIN="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl)")"

start() {
  mkdir -p "$BASE"
  chmod 755 "$BASE"
  if ! [ -f "$BASE/pg/PG_VERSION" ]; then
    rm -rf "$BASE/pg"; mkdir -p "$BASE/pg"; chown postgres:postgres "$BASE/pg"
    su postgres -s /bin/sh -c "$PG_BIN/initdb -D $BASE/pg -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >"$BASE/initdb.log" 2>&1
  fi
  if ! su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $BASE/pg status" >/dev/null 2>&1; then
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $BASE/pg -l $BASE/pg/server.log -w -o '-c listen_addresses=127.0.0.1 -p $PG_PORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200' start" >/dev/null
  fi
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes --logfile "$BASE/redis.log" >/dev/null
  fi
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "export GRIDBOT_TEST_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "export GRIDBOT_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

stop() {
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $BASE/pg -m fast stop" >/dev/null 2>&1 || true
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
