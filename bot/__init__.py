"""The Telegram adapter (aiogram) and its local Bot API sandbox."""
