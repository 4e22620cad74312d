"""Key roles, rotation and expiry through the real app over HTTP: ``/v1/keys`` is for admins, an
admin sees every session, a rotated key works until revoked, an expired key gets 401."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from api_helpers import upload

from live_server import serving
from polling import poll
from videolens.api.security import KeyStore, Role
from videolens.config import Settings
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec


def _keys(settings: Settings) -> KeyStore:
    return KeyStore(settings.data_dir / "keys.json")


def _keys_with_admin(settings: Settings) -> tuple[KeyStore, str]:
    """The key store, holding the key of an admin named "ops" (returned beside it)."""
    keys = _keys(settings)
    _, admin = keys.create("ops", Role.ADMIN)
    return keys, admin


@contextmanager
def _alice_bob_and_an_admin(
    settings: Settings,
) -> Iterator[tuple[httpx.Client, httpx.Client, httpx.Client]]:
    """Clients of the live API with the keys of two users, alice and bob, and of an admin."""
    keys, admin = _keys_with_admin(settings)
    _, alice = keys.create("alice")
    _, bob = keys.create("bob")
    with (
        serving(settings) as api,
        api.client(alice) as a,
        api.client(bob) as b,
        api.client(admin) as ops,
    ):
        yield a, b, ops


def _assert_only_the_owner_and_an_admin_reach(
    kind: str,
    part: str,
    alices: str,
    bobs: str,
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
) -> None:
    """Of ``kind`` ("sessions" or "streams"), with the clients of alice, bob and an admin: bob
    neither reads, deletes nor lists alice's ``alices``, only his own ``bobs``; the admin reads it
    and its ``part``, lists both, and deletes it, after which alice gets 404 too."""
    a, b, ops = clients
    id_field = f"{kind.removesuffix('s')}_id"
    url = f"/v1/{kind}/{alices}"
    assert b.get(url).status_code == 404
    assert b.delete(url).status_code == 404
    assert [item[id_field] for item in b.get(f"/v1/{kind}").json()[kind]] == [bobs]

    assert ops.get(url).status_code == 200
    assert ops.get(f"{url}/{part}").status_code == 200
    listed = {item[id_field] for item in ops.get(f"/v1/{kind}").json()[kind]}
    assert listed == {alices, bobs}
    assert ops.delete(url).status_code == 204
    assert a.get(url).status_code == 404


def test_a_user_key_cannot_manage_keys_an_admin_key_can(settings: Settings) -> None:
    keys, admin = _keys_with_admin(settings)
    alice_record, alice = keys.create("alice")
    with serving(settings) as api, api.client(admin) as ops, api.client(alice) as user:
        for method, path in (
            ("GET", "/v1/keys"),
            ("POST", "/v1/keys"),
            ("POST", f"/v1/keys/{alice_record.key_id}/rotate"),
            ("DELETE", f"/v1/keys/{alice_record.key_id}"),
        ):
            body = {"name": "mine", "role": "admin"} if path == "/v1/keys" else None
            refused = user.request(method, path, json=body)
            assert refused.status_code == 403, (method, path)
            assert refused.json()["error"]["code"] == "forbidden"
            assert "admin key" in refused.json()["error"]["message"]
        assert keys.list()[-1].name == "alice", "a user key made a key"

        listed = ops.get("/v1/keys")
        assert listed.status_code == 200
        roles = {k["name"]: k["role"] for k in listed.json()["keys"]}
        assert roles == {"ops": "admin", "alice": "user"}
        assert "hash" not in listed.text and "salt" not in listed.text
        assert alice not in listed.text

        made = ops.post("/v1/keys", json={"name": "bob", "role": "user", "expires_in": "30d"})
        assert made.status_code == 201
        bob = made.json()["key"]
        assert made.json()["role"] == "user" and made.json()["expires_at"]
        assert (
            keys.verify(bob) is not None
            and bob not in (settings.data_dir / "keys.json").read_text()
        )
        with api.client(bob) as new_user:
            assert new_user.get("/v1/sessions").status_code == 200
            assert new_user.get("/v1/keys").status_code == 403
            assert ops.delete(f"/v1/keys/{made.json()['key_id']}").status_code == 204
            assert new_user.get("/v1/sessions").status_code == 401

        # Bad input, named.
        for body, field in (
            ({"name": "x", "role": "root"}, "role"),
            ({"name": "x", "expires_in": "3 fortnights"}, "expires_in"),
            ({"name": "x", "expires_in": "0d"}, "expires_in"),
            ({"name": ""}, "name"),
        ):
            bad = ops.post("/v1/keys", json=body)
            assert bad.status_code == 422, body
            assert bad.json()["error"]["field"] == field, body
        for method, path in (("POST", "/v1/keys/nope/rotate"), ("DELETE", "/v1/keys/nope")):
            missing = ops.request(method, path)
            assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]


def test_an_admin_sees_every_session_a_user_only_its_own(
    settings: Settings, text_clip: ClipSpec
) -> None:
    with _alice_bob_and_an_admin(settings) as clients:
        a, b, _ = clients
        alices = upload(a, text_clip.path).json()["session_id"]
        bobs = upload(b, text_clip.path).json()["session_id"]
        _assert_only_the_owner_and_an_admin_reach("sessions", "frames", alices, bobs, clients)


def test_an_admin_sees_every_stream_a_user_only_its_own(settings: Settings) -> None:
    with _alice_bob_and_an_admin(settings) as clients:
        a, b, _ = clients
        made = [
            client.post("/v1/streams", json={"url": f"udp://@:{free_port()}"}) for client in (a, b)
        ]
        assert [m.status_code for m in made] == [201, 201], [m.text for m in made]
        alices, bobs = (m.json()["stream_id"] for m in made)
        _assert_only_the_owner_and_an_admin_reach("streams", "events", alices, bobs, clients)
        assert b.delete(f"/v1/streams/{bobs}").status_code == 204


def test_a_rotated_key_works_until_the_old_one_is_revoked(
    settings: Settings, text_clip: ClipSpec
) -> None:
    keys, admin = _keys_with_admin(settings)
    alice_record, alice = keys.create("alice")
    with serving(settings) as api, api.client(admin) as ops, api.client(alice) as old:
        session_id = upload(old, text_clip.path).json()["session_id"]
        rotated = ops.post(f"/v1/keys/{alice_record.key_id}/rotate")
        assert rotated.status_code == 201
        assert rotated.json()["replaces"] == alice_record.key_id
        assert (rotated.json()["name"], rotated.json()["role"]) == ("alice", "user")
        with api.client(rotated.json()["key"]) as new:
            # Both work, and the new key sees the sessions made with the old one.
            for client in (old, new):
                assert client.get(f"/v1/sessions/{session_id}").status_code == 200
            assert new.get("/v1/keys").status_code == 403, "rotation must keep the role"
            assert ops.delete(f"/v1/keys/{alice_record.key_id}").status_code == 204
            revoked = old.get("/v1/sessions")
            assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "unauthorized"
            assert new.get(f"/v1/sessions/{session_id}").status_code == 200


def test_expired_keys_get_401_expired(settings: Settings) -> None:
    keys, admin = _keys_with_admin(settings)
    carol_record, carol = keys.create("carol")
    with serving(settings) as api, api.client(admin) as ops:
        short = ops.post("/v1/keys", json={"name": "temp", "expires_in": "2s"}).json()
        # Rotation that lets the old key run out: clients get a grace period to switch.
        rotated = ops.post(
            f"/v1/keys/{carol_record.key_id}/rotate", json={"expires_old_in": "2s"}
        ).json()
        listed = {k["key_id"]: k for k in ops.get("/v1/keys").json()["keys"]}
        assert listed[carol_record.key_id]["expires_at"] is not None
        assert listed[rotated["key_id"]]["expires_at"] is None

        def status(key: str) -> httpx.Response:
            with api.client(key) as client:
                return client.get("/v1/sessions")

        assert status(short["key"]).status_code == 200
        assert status(carol).status_code == 200

        def expired(key: str) -> bool:
            return status(key).status_code == 401

        for key in (short["key"], carol):
            poll(lambda key=key: expired(key), 10, "the key to expire")
            answer = status(key).json()["error"]
            assert answer["code"] == "expired" and "expired at" in answer["message"]
        assert status(rotated["key"]).status_code == 200
        expired_flags = {k["key_id"]: k["expired"] for k in ops.get("/v1/keys").json()["keys"]}
        assert expired_flags[carol_record.key_id] and not expired_flags[rotated["key_id"]]


def test_local_mode_is_admin_until_the_first_key(settings: Settings) -> None:
    with serving(settings) as api, api.client() as local:
        assert local.get("/v1/keys").json() == {"keys": []}
        made = local.post("/v1/keys", json={"name": "first", "role": "admin"})
        assert made.status_code == 201
        # Keys exist now: no more keyless requests, and the new admin key manages keys.
        assert local.get("/v1/keys").status_code == 401
        listed = local.get("/v1/keys", headers={"Authorization": f"Bearer {made.json()['key']}"})
        assert [k["name"] for k in listed.json()["keys"]] == ["first"]
        stored = json.loads((settings.data_dir / "keys.json").read_text())
        assert stored[0]["role"] == "admin"


def test_keys_made_before_roles_read_as_user(settings: Settings) -> None:
    keys = _keys(settings)
    record, old_key = keys.create("legacy", Role.ADMIN)
    stored = json.loads(keys.path.read_text())
    for entry in stored:
        del entry["role"], entry["expires_at"], entry["replaces"], entry["owner"]
    keys.path.write_text(json.dumps(stored))
    with serving(settings) as api, api.client(old_key) as client:
        assert client.get("/v1/sessions").status_code == 200
        assert client.get("/v1/keys").status_code == 403
    assert _keys(settings).list()[0].role is Role.USER and record.key_id
