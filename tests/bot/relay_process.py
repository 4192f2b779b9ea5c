"""An outbox relay alone in its own process, to be killed by tests (`test_delivery_kill.py`):

    python -m tests.bot.relay_process DATABASE_URL DATA_DIR API_BASE TOKEN CLAIM_TTL_S PER_SECOND

It delivers at most PER_SECOND messages per second overall (Telegram's overall limit is 30;
the per-chat limits are lifted, the test has few chats), with production's `tick_s`, and
prints "ready" once it runs."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta


async def main(url: str, data_dir: str, api_base: str, token: str, ttl_s: float, per_second: float) -> None:
    from bot.delivery.relay import OutboxRelay
    from bot.deps import WriteGate
    from bot.ratelimit import Limits, SendLimiter
    from bot.runtime import make_bot, pin_response_models
    from dispatch.settings import Settings
    from gridbot.bootstrap import bootstrap

    pin_response_models()
    app = await bootstrap(Settings(GRIDBOT_DATABASE_URL=url, GRIDBOT_DATA_DIR=data_dir), migrate=False)
    limits = Limits(
        global_per_second=per_second,
        global_burst=max(1, int(per_second)),
        private_per_second=1000,
        private_burst=1000,
        group_per_minute=60000,
        group_burst=1000,
    )
    relay = OutboxRelay(app, make_bot(token, api_base), WriteGate.for_url(url), limiter=SendLimiter(limits))
    relay.ttl = timedelta(seconds=ttl_s)
    relay.idle_s = 0.1
    print("ready", flush=True)
    await relay.run()


if __name__ == "__main__":
    a = sys.argv[1:]
    asyncio.run(main(a[0], a[1], a[2], a[3], float(a[4]), float(a[5])))
