"""Files the sandbox holds: photos and documents, in memory, bounded by total size."""

from __future__ import annotations

import itertools
import secrets
import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

# Telegram's limits: photos up to 10 MB, other uploads 50 MB, getFile downloads 20 MB.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

_KIND_PREFIX = {
    "photo": ("AgAC", "photos", ".jpg"), "document": ("BQAC", "documents", ""),
    "video": ("BAAC", "videos", ".mp4"), "voice": ("AwAC", "voice", ".oga"),
    "audio": ("CQAC", "music", ".mp3"), "sticker": ("CAAC", "stickers", ".webp"),
    "animation": ("CgAC", "animations", ".mp4"), "video_note": ("DQAC", "video_notes", ".mp4"),
}
_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
        "image/bmp": ".bmp"}


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    mime_type: str
    file_path: str
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data)

    def photo_sizes(self) -> list[dict[str, Any]]:
        """The ``photo`` array of a Message. One size: the sandbox does not resample."""
        return [{
            "file_id": self.file_id, "file_unique_id": self.file_unique_id,
            "width": self.width or 0, "height": self.height or 0, "file_size": self.size,
        }]

    def as_media(self) -> dict[str, Any]:
        """The Document / Video / Voice / Sticker / ... object of a Message."""
        media: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                                 "file_size": self.size}
        if self.kind in ("document", "video", "audio", "animation"):
            media["file_name"] = self.file_name or self.file_path.rsplit("/", 1)[-1]
        if self.kind not in ("sticker",):
            media["mime_type"] = self.mime_type
        if self.kind in ("video", "animation", "sticker"):
            media["width"], media["height"] = self.width or 512, self.height or 512
        if self.kind in ("video", "voice", "audio", "animation"):
            media["duration"] = self.duration or 1
        if self.kind == "video_note":
            media["length"], media["duration"] = self.width or 240, self.duration or 1
        if self.kind == "sticker":
            media.update({"type": "regular", "is_animated": False, "is_video": False,
                          "emoji": self.extra.get("emoji", "\U0001F44D")})
        return media

    def as_file(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": self.size, "file_path": self.file_path}


def sniff_image(data: bytes) -> tuple[str, int, int] | None:
    """(mime type, width, height) of a JPEG, PNG, GIF, WebP or BMP image, else None."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return "image/png", w, h
        if data[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", data[6:10])
            return "image/gif", w, h
        if data[:2] == b"BM" and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return "image/bmp", abs(w), abs(h)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return "image/webp", w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return "image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return "image/webp", w, h
            return None
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                    i += 1 if marker == 0xFF else 2
                    continue
                length = struct.unpack(">H", data[i + 2 : i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return "image/jpeg", w, h
                i += 2 + length
            return None
    except (struct.error, IndexError):
        return None
    return None


class FileStore:
    """file_id → bytes, evicting the oldest files beyond ``max_bytes`` in total."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.total_bytes = 0
        self._by_id: OrderedDict[str, FileRecord] = OrderedDict()
        self._by_path: dict[str, str] = {}
        self._counter = itertools.count(1)

    def add(self, data: bytes, kind: str, mime_type: str | None = None,
            file_name: str | None = None, width: int | None = None, height: int | None = None,
            duration: int | None = None, **extra: Any) -> FileRecord:
        prefix, folder, default_ext = _KIND_PREFIX.get(kind, ("BQAC", "documents", ""))
        n = next(self._counter)
        token = secrets.token_urlsafe(12)
        file_id = f"{prefix}AgADsbx{n:07d}{token}"
        unique = f"AQAD{n:07d}{token[:6]}"
        ext = _EXT.get(mime_type or "", "") or _ext_of(file_name) or default_ext
        record = FileRecord(
            file_id=file_id, file_unique_id=unique, kind=kind, data=data,
            mime_type=mime_type or "application/octet-stream",
            file_path=f"{folder}/file_{n}{ext}", file_name=file_name,
            width=width, height=height, duration=duration, extra=extra,
        )
        self._by_id[file_id] = record
        self._by_path[record.file_path] = file_id
        self.total_bytes += record.size
        while self.total_bytes > self.max_bytes and len(self._by_id) > 1:
            _, old = self._by_id.popitem(last=False)
            self._by_path.pop(old.file_path, None)
            self.total_bytes -= old.size
        return record

    def get(self, file_id: str) -> FileRecord | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> FileRecord | None:
        file_id = self._by_path.get(path)
        return self._by_id.get(file_id) if file_id else None

    def __len__(self) -> int:
        return len(self._by_id)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_path.clear()
        self.total_bytes = 0


def _ext_of(name: str | None) -> str:
    if name and "." in name:
        ext = "." + name.rsplit(".", 1)[-1].lower()
        if len(ext) <= 6 and ext[1:].isalnum():
            return ext
    return ""
