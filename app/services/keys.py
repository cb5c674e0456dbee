"""API keys: random, shown once, stored as a SHA-256 digest.

A key carries 256 bits of randomness, so a plain digest is safe to store and lets a key be found
by an indexed lookup; slow password hashes are for low-entropy secrets (console passwords)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

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


def authenticate(*, session: Session, key: str, cache: KeyCache | None = None) -> ApiKey | None:
    """The key's row if the key is valid and not revoked. With a cache, a key seen in the last
    few seconds is not looked up again (a revocation takes effect within the cache's seconds)."""
    key_digest = digest(key)
    if cache is not None and (hit := cache.get(key_digest)) is not None:
        return hit or None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == key_digest)).first()
    # the lookup was by digest; compare again in constant time for good measure
    valid = row is not None and row.revoked_at is None and secrets.compare_digest(row.key_hash, key_digest)
    if cache is not None:
        cache.put(key_digest, _detached(row) if valid else False)
    return row if valid else None


def _detached(row: ApiKey) -> ApiKey:
    return ApiKey(id=row.id, name=row.name, role=row.role, key_hash=row.key_hash, prefix=row.prefix, created_at=row.created_at)


class KeyCache:
    """Recently checked keys, per process: digest -> the key (or False for an unknown one)."""

    def __init__(self, seconds: float, max_entries: int = 10_000, clock=time.monotonic) -> None:
        self.seconds, self.max_entries, self.clock = seconds, max_entries, clock
        self._entries: dict[str, tuple[float, ApiKey | bool]] = {}
        self._lock = threading.Lock()

    def get(self, key_digest: str) -> ApiKey | bool | None:
        entry = self._entries.get(key_digest)
        if entry is None or entry[0] < self.clock():
            return None
        return entry[1]

    def put(self, key_digest: str, value: ApiKey | bool) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key_digest] = (self.clock() + self.seconds, value)


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
