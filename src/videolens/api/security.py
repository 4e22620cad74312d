"""API keys: created once (the raw key is shown only then), stored hashed in ``keys.json``.

A key reads ``vl_<key id>_<secret>``. The id finds the record; the secret is checked against a
salted SHA-256 hash in constant time. The secret is 256 random bits, not a password, so a slow
hash (scrypt) would add latency to every request without adding safety.

Each key has a role: ``admin`` (manages keys, sees every session) or ``user`` (its own sessions
only), an optional expiry, and, when it was made by rotating another key, the id it replaces.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import threading
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from videolens.errors import ConfigurationError
from videolens.store.atomic import read_json, write_json_atomic

KEY_PREFIX = "vl_"
LOCAL_OWNER = "local"


class Role(str, Enum):
    """What a key may do: ``admin`` manages keys and sees all sessions; ``user`` its own."""

    ADMIN = "admin"
    USER = "user"


# Records written before roles existed read as "user". Those keys could only ever see their own
# sessions, and keys were managed with the CLI (which needs the data dir, not a key), which still
# works: so an upgrade takes nothing away. Reading them as "admin" instead would, at upgrade, let
# every existing key read and delete every other key's sessions.
LEGACY_ROLE = Role.USER

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``45m``, ``90s``, ``2w`` as a timedelta; ValueError says what is wrong."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration: use a whole number and a unit (s, m, h, d, w), e.g. 30d"
        )
    duration = timedelta(seconds=int(match[1]) * _UNIT_S[match[2]])
    if duration <= timedelta(0):
        raise ValueError(f"{text!r}: a duration must be longer than zero")
    if duration > MAX_DURATION:
        raise ValueError(
            f"{text!r}: at most {MAX_DURATION.days}d; omit it for a key that never expires"
        )
    return duration


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _moment(timestamp: str) -> datetime:
    moment = datetime.fromisoformat(timestamp)
    # A time written by hand without a zone is taken as UTC, like the ones written here.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class ApiKey:
    """A stored key: never the raw key, only its salted hash."""

    key_id: str
    name: str
    created_at: str
    salt: str
    hash: str
    role: Role = LEGACY_ROLE
    # ISO 8601 (UTC); None: valid until revoked.
    expires_at: str | None = None
    # The key id this key was rotated from.
    replaces: str | None = None
    # Whose sessions the key works on: the first key of its rotation chain (None: its own id),
    # so that a rotated key still sees the sessions made with the key it replaces.
    owner: str | None = None

    @property
    def owner_id(self) -> str:
        """The owner of the sessions this key makes: the same across rotations."""
        return self.owner or self.key_id

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the key's expiry has passed."""
        if self.expires_at is None:
            return False
        return _moment(self.expires_at) <= (now or _now())

    def public(self) -> dict[str, Any]:
        """Everything but the salt and hash."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "role": self.role.value,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "expired": self.expired(),
            "replaces": self.replaces,
        }


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


_FIELDS = {f.name for f in fields(ApiKey)}


def _record(path: Path, stored: dict[str, Any]) -> ApiKey:
    # Fields this version does not know are dropped, so a newer file still loads.
    record = ApiKey(**{name: value for name, value in stored.items() if name in _FIELDS})
    try:
        record.role = Role(stored.get("role", LEGACY_ROLE))
    except ValueError:
        raise ConfigurationError(
            f"{path}: key {record.key_id} has an unknown role {stored['role']!r} "
            "(admin or user); fix or revoke it"
        ) from None
    return record


class KeyStore:
    """Keys in ``<data_dir>/keys.json``; re-read when the file changes (keys made by the CLI)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # Held across read-modify-write, so two API requests changing keys never lose one.
        self._write_lock = threading.Lock()
        self._mtime: int | None = None
        self._keys: dict[str, ApiKey] = {}

    def _load(self) -> dict[str, ApiKey]:
        with self._lock:
            try:
                mtime = self.path.stat().st_mtime_ns
            except FileNotFoundError:
                self._mtime, self._keys = None, {}
                return self._keys
            if mtime != self._mtime:
                records: list[dict[str, Any]] = read_json(self.path)
                self._keys = {r["key_id"]: _record(self.path, r) for r in records}
                self._mtime = mtime
            return self._keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        write_json_atomic(
            self.path, [{**asdict(key), "role": key.role.value} for key in keys.values()]
        )
        self.path.chmod(0o600)

    def any(self) -> bool:
        return bool(self._load())

    def list(self) -> list[ApiKey]:
        return sorted(self._load().values(), key=lambda key: key.created_at)

    def owner_role(self, owner_id: str) -> Role | None:
        """The role of the keys of ``owner_id`` (rotation keeps a role); None without a key."""
        roles = {key.role for key in self._load().values() if key.owner_id == owner_id}
        # Two roles under one owner only come from editing keys.json by hand: the lesser wins.
        return Role.USER if Role.USER in roles else (Role.ADMIN if roles else None)

    def create(
        self, name: str, role: Role = Role.USER, expires_in: timedelta | None = None
    ) -> tuple[ApiKey, str]:
        """A new key; returns the record and the raw key, which is never stored."""
        with self._write_lock:
            keys = dict(self._load())
            record, raw_key = _new_key(name, role, expires_in)
            keys[record.key_id] = record
            self._save(keys)
        return record, raw_key

    def rotate(
        self,
        key_id: str,
        *,
        expires_in: timedelta | None = None,
        old_expires_in: timedelta | None = None,
    ) -> tuple[ApiKey, str] | None:
        """A new key with the old one's name and role; None when ``key_id`` does not exist.

        The old key keeps working until it is revoked, or for ``old_expires_in`` at most.
        """
        with self._write_lock:
            keys = dict(self._load())
            old = keys.get(key_id)
            if old is None:
                return None
            deadline = _expiry(_now(), old_expires_in)
            # An earlier expiry the old key already had is kept.
            if deadline is not None and (
                old.expires_at is None or _moment(old.expires_at) > _moment(deadline)
            ):
                old = ApiKey(**{**asdict(old), "expires_at": deadline})
                keys[key_id] = old
            record, raw_key = _new_key(old.name, old.role, expires_in, replaces=old)
            keys[record.key_id] = record
            self._save(keys)
        return record, raw_key

    def revoke(self, key_id: str) -> bool:
        with self._write_lock:
            keys = dict(self._load())
            if keys.pop(key_id, None) is None:
                return False
            self._save(keys)
        return True

    def verify(self, raw_key: str) -> ApiKey | None:
        """The key's record when ``raw_key`` is a stored key (expired or not), else None."""
        if not raw_key.startswith(KEY_PREFIX):
            return None
        key_id, _, secret = raw_key[len(KEY_PREFIX) :].partition("_")
        record = self._load().get(key_id)
        if record is None or not secret:
            return None
        if hmac.compare_digest(record.hash, _hash(record.salt, secret)):
            return record
        return None


def _new_key(
    name: str, role: Role, expires_in: timedelta | None, replaces: ApiKey | None = None
) -> tuple[ApiKey, str]:
    key_id = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    now = _now()
    record = ApiKey(
        key_id,
        name,
        _timestamp(now),
        salt,
        _hash(salt, secret),
        role,
        expires_at=_expiry(now, expires_in),
        replaces=replaces.key_id if replaces else None,
        owner=replaces.owner_id if replaces else None,
    )
    return record, f"{KEY_PREFIX}{key_id}_{secret}"


def _expiry(now: datetime, expires_in: timedelta | None) -> str | None:
    if expires_in is None:
        return None
    # Rounded up to the second, so a key never expires before the time it was given.
    moment = now + expires_in
    if moment.microsecond:
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return _timestamp(moment)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, environment: str, keys: KeyStore) -> None:
    """Refuse to serve without keys anywhere but loopback, and ever in production.

    TLS changes nothing here: it hides requests from the network, it does not say who sends them.
    """
    if keys.any():
        return
    if environment == "production":
        raise ConfigurationError(
            "VIDEOLENS_ENVIRONMENT=production requires API keys; "
            "create one with `videolens keys create NAME --role admin`"
        )
    if not is_loopback(host):
        raise ConfigurationError(
            f"refusing to serve on {host} without API keys: create one with "
            "`videolens keys create NAME --role admin`, or bind to 127.0.0.1 for local "
            "single-user mode"
        )


def local_mode_allowed(host: str, environment: str) -> bool:
    """Requests without a key are the local user's only on loopback outside production."""
    return is_loopback(host) and environment != "production"
