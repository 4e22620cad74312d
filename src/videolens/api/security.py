"""API keys: created once (the raw key is shown only then), stored hashed in ``keys.json``.

A key reads ``vl_<key id>_<secret>``. The id finds the record; the secret is checked against a
salted SHA-256 hash in constant time. The secret is 256 random bits, not a password, so a slow
hash (scrypt) would add latency to every request without adding safety.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from videolens.errors import ConfigurationError
from videolens.store.atomic import read_json, write_json_atomic

KEY_PREFIX = "vl_"
LOCAL_OWNER = "local"


@dataclass
class ApiKey:
    """A stored key: never the raw key, only its salted hash."""

    key_id: str
    name: str
    created_at: str
    salt: str
    hash: str

    def public(self) -> dict[str, str]:
        return {"key_id": self.key_id, "name": self.name, "created_at": self.created_at}


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


class KeyStore:
    """Keys in ``<data_dir>/keys.json``; re-read when the file changes (keys made by the CLI)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
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
                self._keys = {r["key_id"]: ApiKey(**r) for r in records}
                self._mtime = mtime
            return self._keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        write_json_atomic(self.path, [asdict(key) for key in keys.values()])
        self.path.chmod(0o600)

    def any(self) -> bool:
        return bool(self._load())

    def list(self) -> list[ApiKey]:
        return sorted(self._load().values(), key=lambda key: key.created_at)

    def create(self, name: str) -> tuple[ApiKey, str]:
        """A new key; returns the record and the raw key, which is never stored."""
        keys = dict(self._load())
        key_id = secrets.token_hex(5)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = ApiKey(key_id, name, created, salt, _hash(salt, secret))
        keys[key_id] = record
        self._save(keys)
        return record, f"{KEY_PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str) -> bool:
        keys = dict(self._load())
        if keys.pop(key_id, None) is None:
            return False
        self._save(keys)
        return True

    def verify(self, raw_key: str) -> ApiKey | None:
        """The key's record when ``raw_key`` is valid, else None."""
        if not raw_key.startswith(KEY_PREFIX):
            return None
        key_id, _, secret = raw_key[len(KEY_PREFIX) :].partition("_")
        record = self._load().get(key_id)
        if record is None or not secret:
            return None
        if hmac.compare_digest(record.hash, _hash(record.salt, secret)):
            return record
        return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, environment: str, keys: KeyStore) -> None:
    """Refuse to serve without keys anywhere but loopback, and ever in production."""
    if keys.any():
        return
    if environment == "production":
        raise ConfigurationError(
            "VIDEOLENS_ENVIRONMENT=production requires API keys; "
            "create one with `videolens keys create NAME`"
        )
    if not is_loopback(host):
        raise ConfigurationError(
            f"refusing to serve on {host} without API keys: create one with "
            "`videolens keys create NAME`, or bind to 127.0.0.1 for local single-user mode"
        )


def local_mode_allowed(host: str, environment: str) -> bool:
    """Requests without a key are the local user's only on loopback outside production."""
    return is_loopback(host) and environment != "production"
