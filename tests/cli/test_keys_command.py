"""``videolens keys create/list/rotate/revoke`` with roles and expiry, through the real CLI app."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from typer.testing import CliRunner, Result

from videolens.api.security import KeyStore, Role
from videolens.cli.app import app


def _keys(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["keys", *args], env={"VIDEOLENS_DATA_DIR": str(data_dir)})


def _key_id(raw_key: str) -> str:
    return raw_key.split("_")[1]


def _in(text: str, delta: timedelta) -> bool:
    """Whether the ISO time ``text`` is ``delta`` from now, give or take a minute."""
    moment = datetime.fromisoformat(text)
    return abs(moment - (datetime.now(timezone.utc) + delta)) < timedelta(minutes=1)


def test_create_with_a_role_and_an_expiry_then_rotate_and_revoke(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = KeyStore(data_dir / "keys.json")

    created = _keys(data_dir, "create", "ops", "--role", "admin", "--expires-in", "30d")
    assert created.exit_code == 0, created.output
    admin_key = created.stdout.strip()
    admin = store.verify(admin_key)
    assert admin is not None and admin.role is Role.ADMIN
    assert admin.expires_at and _in(admin.expires_at, timedelta(days=30))
    assert "admin" in created.stderr and "not shown again" in created.stderr

    user_key = _keys(data_dir, "create", "ci").stdout.strip()
    user = store.verify(user_key)
    assert user is not None and user.role is Role.USER and user.expires_at is None

    rotated = _keys(data_dir, "rotate", _key_id(user_key), "--expires-old-in", "7d")
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip()
    new = store.verify(new_key)
    assert new is not None and new_key != user_key
    assert (new.name, new.role, new.replaces) == ("ci", Role.USER, user.key_id)
    old = store.verify(user_key)
    assert old is not None and not old.expired(), "the old key must still work"
    assert old.expires_at and _in(old.expires_at, timedelta(days=7))

    listed = _keys(data_dir, "list").stdout
    lines = {line.split()[0]: line for line in listed.splitlines()}
    assert set(lines) == {admin.key_id, user.key_id, new.key_id}
    assert "admin" in lines[admin.key_id] and "expires " in lines[admin.key_id]
    assert "user" in lines[new.key_id] and "never expires" in lines[new.key_id]
    assert f"replaces {user.key_id}" in lines[new.key_id]
    for raw in (admin_key, user_key, new_key):
        assert raw not in listed and raw.split("_", 2)[2] not in listed

    assert _keys(data_dir, "revoke", user.key_id).exit_code == 0
    assert store.verify(user_key) is None and store.verify(new_key) is not None


def test_bad_input_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    role = _keys(data_dir, "create", "x", "--role", "root")
    assert role.exit_code == 2 and "'root' is not one of 'admin', 'user'" in role.output
    for value in ("3x", "30", "-1d", "0d", "99999w"):
        expiry = _keys(data_dir, "create", "x", "--expires-in", value)
        assert expiry.exit_code == 2, value
        assert expiry.stderr.startswith("error: --expires-in: "), expiry.stderr
    assert not (data_dir / "keys.json").exists(), "a refused command made a key"

    missing = _keys(data_dir, "rotate", "nope")
    assert missing.exit_code == 2 and "no key with id 'nope'" in missing.stderr
    _keys(data_dir, "create", "y")
    [record] = KeyStore(data_dir / "keys.json").list()
    old_expiry = _keys(data_dir, "rotate", record.key_id, "--expires-old-in", "soon")
    assert old_expiry.exit_code == 2 and "--expires-old-in: 'soon'" in old_expiry.stderr
    assert len(KeyStore(data_dir / "keys.json").list()) == 1
