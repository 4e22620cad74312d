"""Durable per-session storage: JSON documents written atomically, frames as JPEG files."""

from videolens.store.sessions import (
    SessionListing,
    SessionStatus,
    SessionStore,
    is_valid_session_id,
)

__all__ = ["SessionListing", "SessionStatus", "SessionStore", "is_valid_session_id"]
