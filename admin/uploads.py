"""Photos uploaded with a console intake: image files in the data directory
(`console-photos/`), named by the SHA-256 of their bytes, referenced on the case as
`console-<hash>`. The console's photo route serves them; the relay never sends them (they are
not Telegram file ids — units see them in the console only)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from admin.photos import sniff
from dispatch.domain.case import CONSOLE_PHOTO_PREFIX

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
_ID = re.compile(rf"^{CONSOLE_PHOTO_PREFIX}([0-9a-f]{{64}})$")


class PhotoRejected(ValueError):
    """Not an image, or too big; the message is a texts key."""


class UploadStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def check(self, data: bytes) -> None:
        if len(data) > MAX_PHOTO_BYTES:
            raise PhotoRejected("intake_err_photo_size")
        if sniff(data) is None:
            raise PhotoRejected("intake_err_photo_type")

    def save(self, data: bytes) -> str:
        """Store the image (checked first) and return its id."""
        self.check(data)
        digest = hashlib.sha256(data).hexdigest()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / digest
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return CONSOLE_PHOTO_PREFIX + digest

    def fetch(self, file_id: str) -> tuple[bytes, str] | None:
        m = _ID.match(file_id)
        if m is None:
            return None
        path = self.directory / m.group(1)
        if not path.is_file():
            return None
        data = path.read_bytes()
        mime = sniff(data)
        return (data, mime) if mime else None
