"""API keys over HTTP, for admin keys only: list, create, rotate, revoke.

The raw key is in the answer to create and rotate, and nowhere else, ever.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, field_validator

from videolens.api.deps import AdminPrincipal, ServicesDep
from videolens.api.errors import ApiError
from videolens.api.security import Role, parse_duration

router = APIRouter(prefix="/v1/keys", tags=["keys"])

KeyId = Annotated[str, Path(description="A key id from `GET /v1/keys`", max_length=64)]
_DURATION_HELP = "How long the key works, e.g. `30d`, `12h`, `45m`; none: until revoked."


def _duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)  # a ValueError becomes a 422 naming the field
    return value


def _timedelta(value: str | None) -> timedelta | None:
    return parse_duration(value) if value is not None else None


class KeyCreate(BaseModel):
    """A new key."""

    name: str = Field(min_length=1, max_length=100, description="A label: who or what uses it.")
    role: Role = Field(default=Role.USER, description="`admin` manages keys and sees all.")
    expires_in: str | None = Field(default=None, max_length=20, description=_DURATION_HELP)

    _check_expiry = field_validator("expires_in")(_duration)


class KeyRotate(BaseModel):
    """A new key for an old one: same name and role; the old one works until revoked."""

    expires_in: str | None = Field(default=None, max_length=20, description=_DURATION_HELP)
    expires_old_in: str | None = Field(
        default=None,
        max_length=20,
        description="Let the old key expire after this long (e.g. `7d`), for clients to switch.",
    )

    _check_expiry = field_validator("expires_in", "expires_old_in")(_duration)


@router.get("")
async def list_keys(found: ServicesDep, _: AdminPrincipal) -> dict[str, Any]:
    """Every key: id, name, role, creation, expiry (never the keys themselves)."""
    records = await anyio.to_thread.run_sync(found.keys.list)
    return {"keys": [record.public() for record in records]}


@router.post("", status_code=201)
async def create_key(body: KeyCreate, found: ServicesDep, _: AdminPrincipal) -> dict[str, Any]:
    """Create a key; the answer's ``key`` is the only time it is shown."""
    record, raw_key = await anyio.to_thread.run_sync(
        found.keys.create, body.name, body.role, _timedelta(body.expires_in)
    )
    return {"key": raw_key, **record.public()}


@router.post("/{key_id}/rotate", status_code=201)
async def rotate_key(
    key_id: KeyId, found: ServicesDep, _: AdminPrincipal, body: KeyRotate | None = None
) -> dict[str, Any]:
    """A new key replacing ``key_id``; revoke the old one once its clients have switched."""
    body = body or KeyRotate()

    def rotate() -> Any:
        return found.keys.rotate(
            key_id,
            expires_in=_timedelta(body.expires_in),
            old_expires_in=_timedelta(body.expires_old_in),
        )

    rotated = await anyio.to_thread.run_sync(rotate)
    if rotated is None:
        raise ApiError(404, "not_found", f"no key with id {key_id!r}")
    record, raw_key = rotated
    return {"key": raw_key, **record.public()}


@router.delete("/{key_id}", status_code=204, response_class=Response)
async def revoke_key(key_id: KeyId, found: ServicesDep, _: AdminPrincipal) -> Response:
    """Revoke a key at once: requests with it get 401."""
    if not await anyio.to_thread.run_sync(found.keys.revoke, key_id):
        raise ApiError(404, "not_found", f"no key with id {key_id!r}")
    return Response(status_code=204)
