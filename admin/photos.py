"""Photos in the transcript are Telegram file ids. They are fetched through the Bot API
(getFile, then the file URL) when a bot token is configured — the real Telegram or the local
sandbox — cached on disk, and served as images. Otherwise a placeholder names the id."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape

import httpx

import texts

MAX_BYTES = 20 * 1024 * 1024  # getFile's own download limit
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif",
               b"RIFF": "image/webp", b"BM": "image/bmp"}


class PhotoSource(Protocol):
    async def fetch(self, file_id: str) -> tuple[bytes, str] | None: ...


def sniff(data: bytes) -> str | None:
    for magic, mime in IMAGE_TYPES.items():
        if data.startswith(magic):
            if mime == "image/webp" and data[8:12] != b"WEBP":
                continue
            return mime
    return None


class BotApiPhotos:
    """getFile + download, with a disk cache keyed by the file id's hash."""

    def __init__(self, api: str, token: str, cache_dir: Path | None = None, timeout: float = 10.0) -> None:
        self.api = api.rstrip("/")
        self.token = token
        self.cache_dir = cache_dir
        self.timeout = timeout
        self._locks: dict[str, asyncio.Lock] = {}

    def _cache_path(self, file_id: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / hashlib.sha256(file_id.encode()).hexdigest()

    async def fetch(self, file_id: str) -> tuple[bytes, str] | None:
        path = self._cache_path(file_id)
        if path is not None and path.exists():
            cached = path.read_bytes()
            kind = sniff(cached)
            return (cached, kind) if kind else None
        lock = self._locks.setdefault(file_id, asyncio.Lock())
        async with lock:
            data = await self._download(file_id)
        self._locks.pop(file_id, None)
        if data is None:
            return None
        mime = sniff(data)
        if mime is None:
            return None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return data, mime

    async def _download(self, file_id: str) -> bytes | None:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                r = await client.get(f"{self.api}/bot{self.token}/getFile", params={"file_id": file_id})
                body = r.json()
                if not body.get("ok"):
                    return None
                file_path = body["result"].get("file_path")
                if not file_path or body["result"].get("file_size", 0) > MAX_BYTES:
                    return None
                r = await client.get(f"{self.api}/file/bot{self.token}/{file_path}")
                if r.status_code != 200 or len(r.content) > MAX_BYTES:
                    return None
                return r.content
        except (httpx.HTTPError, ValueError, KeyError):
            return None


def placeholder_svg(file_id: str) -> bytes:
    label = escape(texts.ADMIN["photo_unavailable"])
    shown = escape(file_id if len(file_id) <= 28 else file_id[:25] + "…")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="180" viewBox="0 0 240 180">'
        '<rect width="240" height="180" rx="8" fill="#eef1f5" stroke="#c8d0da"/>'
        '<path d="M92 70h56l8 12h12v52H72V82h12z" fill="none" stroke="#94a0b0" stroke-width="4"/>'
        '<circle cx="120" cy="106" r="15" fill="none" stroke="#94a0b0" stroke-width="4"/>'
        f'<text x="120" y="152" font-size="13" text-anchor="middle" fill="#5b6675" '
        f'font-family="sans-serif">{label}</text>'
        f'<text x="120" y="170" font-size="10" text-anchor="middle" fill="#8a94a3" '
        f'font-family="monospace">{shown}</text></svg>'
    ).encode()
