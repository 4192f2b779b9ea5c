"""Console accounts: users, password hashes (argon2), sessions, and the member each
acting user is linked to.

Why a member: the commands in `dispatch.service.cases` take an actor — a member acting in a
role — and check the member's roles, exactly as for the bot. A console user with role
dispatcher or admin is therefore linked to a member row:

- either an existing staff member (`--link-tg 400001`: the same person on Telegram and in
  the browser; their events show one name), or
- a console-only member created for the user, with the stable id `console-<username>` and
  no Telegram id. The member gets the account's role (dispatcher or admin); having no
  Telegram id, it is never sent a chat notice.

Viewers are read-only and get no member."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select

from dispatch.db.console_tables import ROLES, AdminSessionRow, AdminUserRow
from dispatch.db.orm import MemberRow
from dispatch.db.uow import UnitOfWork
from dispatch.domain.case import Actor
from dispatch.domain.errors import DomainError
from dispatch.domain.members import Member
from dispatch.service.directory import ACTING_ACCOUNT_ROLES

SESSION_IDLE = timedelta(hours=12)
SESSION_TOUCH = timedelta(minutes=5)  # write last_seen at most this often
ACTING_ROLES = ACTING_ACCOUNT_ROLES  # accounts that act as their member
RANK = {"viewer": 0, "dispatcher": 1, "admin": 2}

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(DomainError):
    """Bad input for an account (unknown role, duplicate name, short password…)."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    id: int
    username: str
    display_name: str
    role: str
    member_id: int | None  # the member the user acts as (None: read-only)
    tg_id: int | None  # the linked member's Telegram id, if any
    acting_role: str | None = None  # the staff role the member acts in

    def actor(self, channel: str) -> Actor | None:
        """Who the console's commands are done by, or None for a read-only user."""
        if self.member_id is None or self.acting_role is None:
            return None
        return Actor(self.member_id, self.acting_role, channel)

    def can(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    token_hash: str
    user: ConsoleUser
    csrf_token: str
    flash: list[tuple[str, str]]


def acting_role(member_roles: Iterable[str], account_role: str) -> str | None:
    """The staff role the member acts in: the account's, when the member holds it, else the
    member's own staff role (a linked member who is an admin on Telegram, say)."""
    roles = set(member_roles)
    if account_role in roles:
        return account_role
    return next((r for r in ACTING_ROLES if r in roles), None)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise AccountError("密码至少 8 位")


async def create_user(uow: UnitOfWork, username: str, password: str, role: str, now: datetime,
                      display_name: str = "", link_tg: int | None = None) -> ConsoleUser:
    username = username.strip()
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (admin, dispatcher, viewer)")
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise AccountError("用户名不能为空、不能含空格, 最长 64 个字符")
    check_password_strength(password)
    display_name = (display_name or username).strip()[:200]
    async with uow:
        taken = await uow.session.scalar(select(AdminUserRow.id).where(AdminUserRow.username == username))
        if taken is not None:
            raise AccountError(f"用户名 {username} 已存在")
        row = AdminUserRow(username=username, display_name=display_name,
                           password_hash=hash_password(password), role=role, active=True,
                           failed_logins=0, created_at=now)
        uow.session.add(row)
        await uow.session.flush()
        tg_id: int | None = None
        role_acted: str | None = None
        if role in ACTING_ROLES:
            if link_tg is not None:
                member = await uow.members.by_tg(link_tg)
                if member is None:
                    raise AccountError(f"没有 tg_id 为 {link_tg} 的成员")
                if not member.is_staff:
                    raise AccountError(f"成员 {link_tg} 不是调度员或管理员, 不能关联")
            else:
                member = await uow.members.save(
                    Member(tg_id=None, ref=f"console-{username}", name=display_name, roles={role}), now)
            row.member_id = member.id
            tg_id = member.tg_id
            role_acted = acting_role(member.roles, role)
        await uow.commit()
        return ConsoleUser(row.id, row.username, row.display_name, row.role, row.member_id, tg_id,
                           role_acted if row.member_id is not None else None)


async def set_password(uow: UnitOfWork, username: str, password: str) -> None:
    check_password_strength(password)
    async with uow:
        row = await uow.session.scalar(select(AdminUserRow).where(AdminUserRow.username == username))
        if row is None:
            raise AccountError(f"没有用户 {username}")
        row.password_hash = hash_password(password)
        row.failed_logins, row.locked_until = 0, None
        await uow.session.execute(delete(AdminSessionRow).where(AdminSessionRow.user_id == row.id))
        await uow.commit()


async def set_active(uow: UnitOfWork, user_id: int, active: bool) -> None:
    async with uow:
        row = await uow.session.get(AdminUserRow, user_id)
        if row is None:
            raise AccountError("没有这个用户")
        row.active = active
        if not active:
            await uow.session.execute(delete(AdminSessionRow).where(AdminSessionRow.user_id == user_id))
        await uow.commit()


async def count_users(uow: UnitOfWork) -> int:
    async with uow:
        return int(await uow.session.scalar(select(func.count()).select_from(AdminUserRow)) or 0)


async def list_users(uow: UnitOfWork) -> list[tuple[AdminUserRow, str | None, int | None]]:
    async with uow:
        rows = (await uow.session.execute(
            select(AdminUserRow, MemberRow.name, MemberRow.tg_id)
            .outerjoin(MemberRow, MemberRow.id == AdminUserRow.member_id).order_by(AdminUserRow.id)
        )).all()
        return [(r[0], r[1], r[2]) for r in rows]


async def _user_of(uow: UnitOfWork, row: AdminUserRow) -> ConsoleUser:
    tg_id, role_acted = None, None
    if row.member_id is not None and row.role in ACTING_ROLES:
        found = (await uow.session.execute(
            select(MemberRow.tg_id, MemberRow.roles).where(MemberRow.id == row.member_id))).first()
        if found is not None:
            tg_id, role_acted = found.tg_id, acting_role(found.roles or (), row.role)
    return ConsoleUser(row.id, row.username, row.display_name, row.role, row.member_id, tg_id, role_acted)


async def login(uow: UnitOfWork, username: str, password: str, now: datetime,
                *, refused: bool = False) -> tuple[str, ConsoleUser] | None:
    """A new session token for correct credentials; None otherwise. `refused`: the attempt is
    throttled (admin/throttle.py) and fails whatever the password.

    Every attempt costs one password-hash verification — unknown or inactive user (against a
    dummy hash), wrong password, throttled — so neither the answer nor its timing tells them
    apart. Failures are not counted per account here: a per-account lock would let anyone
    lock the real user out."""
    async with uow:
        row = await uow.session.scalar(select(AdminUserRow).where(AdminUserRow.username == username.strip()))
        usable = row is not None and row.active
        correct = _verify(row.password_hash if row is not None and usable else _DUMMY_HASH, password)
        if row is None or not usable or not correct or refused:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
        token = secrets.token_urlsafe(32)
        uow.session.add(AdminSessionRow(
            id=token_hash(token), user_id=row.id, csrf_token=secrets.token_urlsafe(32),
            created_at=now, last_seen_at=now, expires_at=now + SESSION_IDLE))
        # Housekeeping: expired sessions go.
        await uow.session.execute(delete(AdminSessionRow).where(AdminSessionRow.expires_at < now))
        user = await _user_of(uow, row)
        await uow.commit()
        return token, user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def session_for(uow: UnitOfWork, token: str, now: datetime, *, pop_flash: bool) -> SessionInfo | None:
    if not token:
        return None
    key = token_hash(token)
    async with uow:
        s = await uow.session.get(AdminSessionRow, key)
        if s is None or s.expires_at <= now:
            return None
        row = await uow.session.get(AdminUserRow, s.user_id)
        if row is None or not row.active:
            return None
        flash = [(str(k), str(m)) for k, m in (s.flash or [])]
        dirty = False
        if pop_flash and s.flash:
            s.flash = None
            dirty = True
        if now - s.last_seen_at >= SESSION_TOUCH:
            s.last_seen_at, s.expires_at = now, now + SESSION_IDLE
            dirty = True
        user = await _user_of(uow, row)
        if dirty:
            await uow.commit()
        return SessionInfo(key, user, s.csrf_token, flash)


async def add_flash(uow: UnitOfWork, key: str, kind: str, message: str) -> None:
    async with uow:
        s = await uow.session.get(AdminSessionRow, key)
        if s is not None:
            s.flash = [*(s.flash or []), [kind, message]][-5:]
            await uow.commit()


async def logout(uow: UnitOfWork, key: str) -> None:
    async with uow:
        await uow.session.execute(delete(AdminSessionRow).where(AdminSessionRow.id == key))
        await uow.commit()


async def ensure_user(uow: UnitOfWork, username: str, password: str, role: str, now: datetime,
                      display_name: str = "") -> ConsoleUser:
    """The account if it exists (password untouched), else a new one — for `gridbot sandbox`,
    which wants a known demo login on every start."""
    async with uow:
        row = await uow.session.scalar(select(AdminUserRow).where(AdminUserRow.username == username))
        if row is not None:
            return await _user_of(uow, row)
    return await create_user(uow, username, password, role, now, display_name)
