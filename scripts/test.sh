#!/usr/bin/env bash
# Run the whole test suite: installs what it needs, starts throwaway PostgreSQL 15 and
# Redis servers on loopback ports, runs pytest against SQLite and PostgreSQL, stops them.
# Usage: bash scripts/test.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need_apt+=(fonts-wqy-zenhei)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need_apt+=(fonts-noto-color-emoji)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v caddy >/dev/null 2>&1 || need_apt+=(caddy)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "missing system packages: ${need_apt[*]} (run as root or install them)" >&2
    exit 1
  fi
fi

if ! python3 -c "import gridbot, pytest_asyncio, hypothesis, prometheus_client" >/dev/null 2>&1; then
  python3 -m pip install -q -e ".[test]"
fi

eval "$(bash .ci/services.sh start)"
trap 'bash .ci/services.sh stop' EXIT
export GRIDBOT_TEST_PG_URL GRIDBOT_TEST_REDIS_URL

python3 -m pytest "$@"
