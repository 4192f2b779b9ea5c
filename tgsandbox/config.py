"""Sandbox settings, one dataclass passed down from the entry point."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .faults import FaultConfig, RateLimitConfig

DEFAULT_TOKEN = "123456789:SANDBOX-gridbot-local-token"


@dataclass
class SandboxConfig:
    token: str = DEFAULT_TOKEN
    bot_first_name: str = "网格通"
    bot_username: str = "gridbot_sandbox_bot"
    # Telegram bots cannot message a user before the user has pressed START (403 "bot can't
    # initiate conversation with a user"). Seed a user with started=True to skip that step.
    require_start: bool = True
    # Privacy mode: in groups the bot then only sees commands, replies to it and service
    # messages. Off by default: unit groups make the bot an administrator.
    privacy_mode: bool = False
    max_messages_per_chat: int = 2000
    max_events: int = 20000
    max_pending_updates: int = 100000
    max_file_bytes: int = 256 * 1024 * 1024
    # Seconds a callback query may stay unanswered before answerCallbackQuery fails like
    # Telegram's "query is too old".
    callback_answer_timeout: float = 15.0
    webhook_retry_base: float = 0.5
    faults: FaultConfig = field(default_factory=FaultConfig)
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    clock: Callable[[], float] = time.time

    @property
    def bot_id(self) -> int:
        head = self.token.split(":", 1)[0]
        return int(head) if head.isdigit() else 123456789
