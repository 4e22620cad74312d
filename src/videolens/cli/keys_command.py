"""``videolens keys create/list/rotate/revoke``: API keys, stored hashed, shown once."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from videolens.api.security import ApiKey, KeyStore, Role, parse_duration
from videolens.cli.command_group import subcommands_app
from videolens.cli.command_help import PlainCommand
from videolens.cli.errors import EXIT_BAD_INPUT, fail, stderr, user_errors
from videolens.config import Settings

keys_app = subcommands_app(
    "Create, list, rotate and revoke API keys.\n\nKeys are stored hashed and shown once."
)

DURATION = "DURATION"
_DURATION_HELP = "e.g. 30d, 12h, 45m, 2w"


def _keys() -> KeyStore:
    return KeyStore(Settings().data_dir / "keys.json")


def _duration(option: str, text: str | None) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as err:
        fail(f"{option}: {err}", EXIT_BAD_INPUT)


def _issued(record: ApiKey, raw_key: str, what: str) -> None:
    # The raw key alone on stdout, so `KEY=$(videolens keys create ci)` works.
    typer.echo(raw_key)
    expiry = f", expires {record.expires_at}" if record.expires_at else ""
    stderr.print(
        f"key {record.key_id} ({record.name}, {record.role.value}{expiry}) {what}; "
        "store it now, it is not shown again",
        soft_wrap=True,
        markup=False,
    )


@keys_app.command("create", cls=PlainCommand)
def create(
    name: Annotated[str, typer.Argument(help="A label for the key, e.g. who uses it.")],
    role: Annotated[
        Role,
        typer.Option(
            metavar="[admin|user]",
            help="admin: manages keys and sees every session; user: its own sessions only.",
        ),
    ] = Role.USER,
    expires_in: Annotated[
        str | None,
        typer.Option(metavar=DURATION, help=f"Expire after this long ({_DURATION_HELP})."),
    ] = None,
) -> None:
    """Create a key and print it once; only its hash is kept."""
    lifetime = _duration("--expires-in", expires_in)
    with user_errors():
        record, raw_key = _keys().create(name, role, lifetime)
    _issued(record, raw_key, "created")


@keys_app.command("rotate", cls=PlainCommand)
def rotate(
    key_id: Annotated[str, typer.Argument(help="The key id from `videolens keys list`.")],
    expires_old_in: Annotated[
        str | None,
        typer.Option(
            metavar=DURATION,
            help="Let the old key expire after this long; without it, it works until revoked.",
        ),
    ] = None,
    expires_in: Annotated[
        str | None,
        typer.Option(
            metavar=DURATION, help=f"Expire the new key after this long ({_DURATION_HELP})."
        ),
    ] = None,
) -> None:
    """Replace a key with a new one of the same name and role.

    The old key works until it is revoked (once clients have switched) or --expires-old-in
    has passed."""
    old_lifetime = _duration("--expires-old-in", expires_old_in)
    lifetime = _duration("--expires-in", expires_in)
    with user_errors():
        rotated = _keys().rotate(key_id, expires_in=lifetime, old_expires_in=old_lifetime)
    if rotated is None:
        fail(f"no key with id {key_id!r}", EXIT_BAD_INPUT)
    record, raw_key = rotated
    _issued(record, raw_key, f"replaces {key_id}")


@keys_app.command("list", cls=PlainCommand)
def list_keys() -> None:
    """List the keys: id, role, creation time, expiry and name.

    The keys themselves are never shown again."""
    with user_errors():
        records = _keys().list()
    if not records:
        stderr.print("no API keys: the server runs in local single-user mode on 127.0.0.1")
    for record in records:
        if record.expires_at is None:
            expiry = "never expires"
        else:
            expiry = ("expired " if record.expired() else "expires ") + record.expires_at
        replaces = f"  (replaces {record.replaces})" if record.replaces else ""
        typer.echo(
            f"{record.key_id}  {record.role.value:<5}  {record.created_at}  {expiry}  "
            f"{record.name}{replaces}"
        )


@keys_app.command("revoke", cls=PlainCommand)
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id from `videolens keys list`.")],
) -> None:
    """Revoke a key at once; requests with it get 401."""
    with user_errors():
        revoked = _keys().revoke(key_id)
    if not revoked:
        fail(f"no key with id {key_id!r}", EXIT_BAD_INPUT)
    stderr.print(f"key {key_id} revoked")
