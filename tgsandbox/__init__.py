"""The local Bot API sandbox: Telegram's embedded default, the way SQLite is PostgreSQL's.

A Bot API server (aiohttp) that aiogram talks to through ``TelegramAPIServer``, with a web chat
page where one person plays residents, grid workers and unit groups. Start it in-process with
:func:`tgsandbox.server.start_sandbox`, or standalone with ``python -m tgsandbox``.
"""

from .config import SandboxConfig
from .faults import FaultConfig, RateLimitConfig

__all__ = ["FaultConfig", "RateLimitConfig", "SandboxConfig"]
