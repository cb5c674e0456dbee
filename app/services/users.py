"""Console users: created from the command line, passwords stored as argon2 hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from app.errors import BadRequest, Conflict, NotFound
from app.models import USER_ROLES, User, utcnow

_hasher = PasswordHasher()
# verified against when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password anyone has")
MIN_PASSWORD_LENGTH = 10


def create_user(*, session: Session, name: str, role: str, password: str) -> User:
    name = name.strip()
    if not name or len(name) > 100:
        raise BadRequest("a user name must have 1 to 100 characters")
    if role not in USER_ROLES:
        raise BadRequest(f"role must be one of {', '.join(USER_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise Conflict(f"a user named {name!r} already exists")
    user = User(name=name, role=role, password_hash=_hasher.hash(password), created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, name: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.name == name.strip())).first()
    if user is None or user.disabled_at is not None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)))


def disable_user(*, session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    user.disabled_at = user.disabled_at or utcnow()
    session.flush()
    return user
