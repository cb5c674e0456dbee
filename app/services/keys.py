"""API keys: random, shown once, stored as a SHA-256 digest.

A key carries 256 bits of randomness, so a plain digest is safe to store and lets a key be found
by an indexed lookup; slow password hashes are for low-entropy secrets (console passwords)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import BadRequest, Conflict, NotFound
from app.models import ROLES, ApiKey, utcnow

KEY_PREFIX = "trg_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(*, session: Session, name: str, role: str) -> tuple[ApiKey, str]:
    """Create a key; returns the stored row and the plain key, which is never stored."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}")
    name = name.strip()
    if not name or len(name) > 100:
        raise BadRequest("a key needs a name of 1 to 100 characters")
    if session.exec(select(ApiKey).where(ApiKey.name == name)).first():
        raise Conflict(f"a key named {name!r} already exists")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, role=role, key_hash=digest(plain), prefix=plain[:8], created_at=utcnow())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"a key named {name!r} already exists") from None
    return row, plain


def authenticate(*, session: Session, key: str) -> ApiKey | None:
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == digest(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    # the lookup was by digest; compare again in constant time for good measure
    return row if secrets.compare_digest(row.key_hash, digest(key)) else None


def list_keys(*, session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(*, session: Session, name: str) -> ApiKey:
    row = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise NotFound(f"no key named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
    return row


def allows(role: str, required: tuple[str, ...]) -> bool:
    return role == "admin" or role in required
