"""Dispatch: the heart of gridbot.

`dispatch.domain` is pure (no aiogram, SQLAlchemy or FastAPI imports; the
current time is always passed in). Around it: `dispatch.db` (SQLAlchemy
repositories and the unit of work) and `dispatch.service` (the commands every
channel calls).
"""
