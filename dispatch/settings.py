"""One settings class, built in the entry point and passed down."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_PUBLIC_API = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default=Path("./data"), alias="GRIDBOT_DATA_DIR")
    database_url: str | None = Field(default=None, alias="GRIDBOT_DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="GRIDBOT_REDIS_URL")
    # incoming flood limit per person and chat (bot/flood.py); 0 switches it off
    flood_per_second: float = Field(default=2.0, alias="GRIDBOT_FLOOD_PER_SECOND")
    flood_burst: int = Field(default=30, alias="GRIDBOT_FLOOD_BURST")
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    webhook_secret: SecretStr | None = Field(default=None, alias="GRIDBOT_WEBHOOK_SECRET")
    telegram_api: str = Field(default=TELEGRAM_PUBLIC_API, alias="GRIDBOT_TELEGRAM_API")
    case_prefix: str = Field(default="QH", alias="GRIDBOT_CASE_PREFIX")
    timezone: str = Field(default="Asia/Shanghai", alias="GRIDBOT_TIMEZONE")
    nlu_model_dir: Path | None = Field(default=None, alias="GRIDBOT_NLU_MODEL")
    dispatch_chat_id: int | None = Field(default=None, alias="GRIDBOT_DISPATCH_CHAT_ID")
    bot_workers: int = Field(default=1, alias="GRIDBOT_BOT_WORKERS")  # docs/workers.md
    # The console's cookies carry `Secure`: true/false, or unset = only when the request came in
    # over https as uvicorn sees it (behind a TLS proxy: docs/deployment.md).
    cookie_secure: bool | None = Field(default=None, alias="GRIDBOT_COOKIE_SECURE")
    sqlite_threads: bool = Field(default=False, alias="GRIDBOT_SQLITE_THREADS")  # db/sqlite_inline.py
    log_level: str = Field(default="WARNING", alias="GRIDBOT_LOG_LEVEL")  # bot worker processes
    log_format: str = Field(default="text", alias="GRIDBOT_LOG_FORMAT")  # text | json (gridbot/logs.py)

    @property
    def tz(self) -> ZoneInfo:
        """The county's time zone: case numbers, deadlines, report periods, what people read."""
        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gridbot.sqlite3').resolve()}"

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
