"""``videolens keys create/list/revoke``: API keys, stored hashed; a raw key is shown once."""

from __future__ import annotations

from typing import Annotated

import typer

from videolens.api.security import KeyStore
from videolens.cli.errors import EXIT_BAD_INPUT, fail, stderr, user_errors
from videolens.config import Settings

keys_app = typer.Typer(help="Manage API keys (hashed at rest).", no_args_is_help=True)


def _keys() -> KeyStore:
    return KeyStore(Settings().data_dir / "keys.json")


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A label for the key, e.g. who uses it.")],
) -> None:
    """Create a key and print it once; only its hash is kept."""
    with user_errors():
        record, raw_key = _keys().create(name)
    typer.echo(raw_key)
    stderr.print(f"key {record.key_id} ({name}) created; store it now, it is not shown again")


@keys_app.command("list")
def list_keys() -> None:
    """List keys: id, name, creation time (never the keys themselves)."""
    with user_errors():
        records = _keys().list()
    if not records:
        stderr.print("no API keys: the server runs in local single-user mode on 127.0.0.1")
    for record in records:
        typer.echo(f"{record.key_id}  {record.created_at}  {record.name}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id from `videolens keys list`.")],
) -> None:
    """Revoke a key at once; requests with it get 401."""
    with user_errors():
        revoked = _keys().revoke(key_id)
    if not revoked:
        fail(f"no key with id {key_id!r}", EXIT_BAD_INPUT)
    stderr.print(f"key {key_id} revoked")
