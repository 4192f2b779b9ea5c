"""The 通报 made for each period: the durable marker that it was made (one row per period, the
primary key), with what is sent (the message and the XLSX), so a relay delivers the same
bulletin however often it retries and a restarted scheduler never makes a second one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db.orm import Base


class BulletinRow(Base):
    __tablename__ = "assessment_bulletins"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # month:2026-11 / week:2026-W48
    chat_id: Mapped[int] = mapped_column(BigInteger)  # the leaders' group it was made for
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)  # the message (HTML)
    file_name: Mapped[str] = mapped_column(String(100))
    xlsx: Mapped[bytes] = mapped_column(LargeBinary)
