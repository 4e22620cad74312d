"""Dependencies as ``Annotated`` aliases: the app's services, and the caller's identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, WebSocket
from fastapi.security import (
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBearer,
)
from temporalio.client import Client

from videolens.api.errors import ApiError
from videolens.api.ratelimit import RateLimiter, retry_after_header
from videolens.api.readiness import TemporalHealth
from videolens.api.security import LOCAL_OWNER, KeyStore, Role
from videolens.chat.retrieval import Retriever
from videolens.config import Settings
from videolens.errors import SessionNotFoundError
from videolens.store import SessionListing, SessionStore
from videolens.timeline.model import SessionDocument


@dataclass
class Services:
    """What the lifespan opens once and every request shares."""

    settings: Settings
    store: SessionStore
    keys: KeyStore
    limiter: RateLimiter
    media_limiter: RateLimiter
    client: Client
    local_mode: bool
    retriever: Retriever
    temporal_health: TemporalHealth = field(default_factory=TemporalHealth)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer vl_...`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: vl_...`")
_query_key = APIKeyQuery(
    name="api_key",
    auto_error=False,
    description="`?api_key=vl_...`, for `<img>` and `<video>`, which cannot send headers",
)


def authenticate(found: Services, raw_key: str | None, *, media: bool = False) -> str:
    """The principal (key id, or ``local``) for ``raw_key``, with a rate-limit token taken.

    ``media`` takes the token from the media bucket (frame images, video ranges) instead.
    """
    if raw_key:
        record = found.keys.verify(raw_key)
        if record is None:
            raise ApiError(401, "unauthorized", "invalid or revoked API key")
        if record.expired():
            raise ApiError(
                401,
                "expired",
                f"API key {record.key_id} expired at {record.expires_at}; "
                "ask an admin for a new one (`videolens keys rotate`)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        # A rotated key acts for the same owner as the key it replaces (its sessions, its bucket).
        principal = record.owner_id
    elif found.local_mode and not found.keys.any():
        principal = LOCAL_OWNER
    else:
        raise ApiError(
            401,
            "unauthorized",
            "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    limiter = found.media_limiter if media else found.limiter
    wait_s = limiter.acquire(principal)
    if wait_s > 0:
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests; retry in {retry_after_header(wait_s)} s",
            headers={"Retry-After": retry_after_header(wait_s)},
        )
    return principal


def principal(
    found: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key)],
) -> str:
    return authenticate(found, bearer.credentials if bearer else header_key)


Principal = Annotated[str, Depends(principal)]


def is_admin(found: Services, principal: str) -> bool:
    """Whether ``principal`` may manage keys and see every session.

    The local user (no keys, loopback) is the operator of the machine, so an admin. A key's role
    is read from the store on each call, so a change to keys.json applies at once.
    """
    return principal == LOCAL_OWNER or found.keys.owner_role(principal) is Role.ADMIN


def admin_principal(found: ServicesDep, caller: Principal) -> str:
    """The caller's principal if it is an admin, else 403."""
    if not is_admin(found, caller):
        raise ApiError(
            403,
            "forbidden",
            "this needs an admin key; this key has the role user "
            "(an admin makes one with `videolens keys create NAME --role admin`)",
        )
    return caller


AdminPrincipal = Annotated[str, Depends(admin_principal)]


def media_principal(
    found: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key)],
    query_key: Annotated[str | None, Depends(_query_key)],
) -> str:
    """Like ``principal``, for media GETs: the key may also come as ``?api_key=``.

    Only these routes read the query key, so a key in a URL is never worth more than reading
    media. The server logs no URLs (uvicorn's access log is off), so the key stays out of logs.
    """
    raw_key = bearer.credentials if bearer else header_key or query_key
    return authenticate(found, raw_key, media=True)


MediaPrincipal = Annotated[str, Depends(media_principal)]


def websocket_key(websocket: WebSocket) -> str | None:
    """Browsers cannot set headers on a WebSocket, so the key may come as ``?api_key=``."""
    authorization = websocket.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return websocket.headers.get("x-api-key") or websocket.query_params.get("api_key")


def owned_session(found: Services, owner: str, session_id: str) -> SessionDocument:
    """The session's document if ``owner`` owns it or is an admin; to anyone else, another
    owner's session does not exist (404, not 403: its id is not confirmed)."""
    document = found.store.document(session_id)
    if session_owner(document) != owner and not is_admin(found, owner):
        raise SessionNotFoundError(f"no session {session_id!r}")
    return document


def session_owner(document: SessionDocument | SessionListing) -> str:
    # Sessions made by `videolens analyze` have no owner: they belong to the local user.
    return document.owner or LOCAL_OWNER
