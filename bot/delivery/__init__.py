"""Delivering the outbox through the Bot API: the relay's loop (`relay.py`), its Telegram
calls (`calls.py`), one deliverer per kind of notice (`deliverers.py`), progress per part
(`progress.py`)."""

from bot.delivery.relay import OutboxRelay

__all__ = ["OutboxRelay"]
