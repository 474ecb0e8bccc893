"""People who may sign in to the workspace: add, list, disable, and check a password.

Passwords are kept only as argon2 hashes. Five failed logins in a row slow that user down:
each further attempt must wait 30 s × 2^(failures − 5), at most 15 minutes, after the last
failure — the correct password included, so guessing gets no faster by luck.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from storage.models import USER_ROLES, User
from storage.types import utcnow

FREE_FAILURES = 5
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verified against when the name is unknown, so an unknown name costs as long as a known one.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserError(Exception):
    """A user request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    refused: bool = False  # too many failures: the password was not even checked
    wait: timedelta = timedelta(0)  # how long until the next attempt is looked at

    @property
    def ok(self) -> bool:
        return self.user is not None


def add_user(app, name: str, role: str, password: str, unit: str | None = None) -> User:
    name, unit = (name or "").strip(), (unit or "").strip() or None
    if not name:
        raise UserError("a user needs a name")
    if role not in USER_ROLES:
        raise UserError(f"--role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    if role == "unit" and not unit:
        raise UserError("a unit user needs --unit 主办单位 (the host unit whose accounts they see)")
    if role != "unit" and unit:
        raise UserError(f"--unit is only for unit users; a {role} sees every account")
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    with app.session() as s:
        if s.scalar(select(User).where(User.name == name)) is not None:
            raise UserError(f"a user named {name!r} already exists")
        user = User(name=name, role=role, unit=unit, password_hash=_hasher.hash(password),
                    disabled=False, failed_logins=0)
        s.add(user)
        s.flush()
    return user


def list_users(app) -> list[User]:
    with app.session() as s:
        return list(s.scalars(select(User).order_by(User.name)))


def disable_user(app, name: str) -> User:
    with app.session() as s:
        user = s.scalar(select(User).where(User.name == name.strip()))
        if user is None:
            raise UserError(f"no user named {name!r}")
        user.disabled = True
    return user


def wait_needed(user: User, now: datetime) -> timedelta:
    """How long this user must still wait before the next login attempt."""
    if user.failed_logins < FREE_FAILURES or user.last_failed_at is None:
        return timedelta(0)
    wait = min(FIRST_WAIT * 2 ** (user.failed_logins - FREE_FAILURES), MAX_WAIT)
    return max(user.last_failed_at + wait - now, timedelta(0))


def authenticate(app, name: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a login. Disabled and unknown users fail like a wrong password."""
    now = now or utcnow()
    with app.session() as s:
        user = s.scalar(select(User).where(User.name == (name or "").strip()))
        if user is None or user.disabled:
            _verify(_DUMMY_HASH, password)
            return LoginResult(None)
        wait = wait_needed(user, now)
        if wait > timedelta(0):
            return LoginResult(None, True, wait)
        if not _verify(user.password_hash, password):
            user.failed_logins += 1
            user.last_failed_at = now
            return LoginResult(None, False, wait_needed(user, now))
        user.failed_logins = 0
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    return LoginResult(user)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password or "")
    except (VerificationError, InvalidHashError):
        return False
