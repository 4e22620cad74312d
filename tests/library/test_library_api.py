"""The library over real HTTP and the real CLI: three generated videos analysed by the real
pipeline, on SQLite and on PostgreSQL; each key sees only its own videos, an admin all; answers
cite moments in the right videos."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from library_factory import finished_session, frame, live_stream
from pydantic import SecretStr

from live_server import LiveServer, final_status, serving
from process_helpers import run_videolens, videolens_env
from videolens.api.security import KeyStore, Role
from videolens.config import Settings
from videolens.library import connect_index
from videolens.library.indexing import indexed_session_store, indexed_stream_store
from videolens.video.synthetic import Shot, write_clip


@dataclass
class Library:
    live: LiveServer
    keys: dict[str, str]  # name -> raw key
    sessions: dict[str, str]  # file name -> session id


@pytest.fixture
def library(settings: Settings, database: str | None, tmp_path: Path) -> Iterator[Library]:
    configured = settings.model_copy(update={
        "backend": "basic", "speech": "off",
        "database_url": SecretStr(database) if database else None,
    })  # fmt: skip
    if database:
        with connect_index(configured) as index:
            index.upgrade()  # what `videolens db upgrade` does once per deployment
    keys = KeyStore(configured.data_dir / "keys.json")
    raw = {name: keys.create(name, role)[1] for name, role in
           (("alice", Role.USER), ("bob", Role.USER), ("ops", Role.ADMIN))}  # fmt: skip
    clips = {
        ("alice", "harbor.mp4"): "HARBOR",
        ("alice", "sunrise.mp4"): "SUNRISE",
        ("bob", "harbor-gate.mp4"): "HARBOR",
    }
    sessions = {}
    with serving(configured) as live:
        for (owner, name), word in clips.items():
            path = write_clip(tmp_path / name, [Shot(3.0, (30, 120, 200), word)]).path
            sessions[name] = _analysed(live, raw[owner], path, name)
        yield Library(live, raw, sessions)


def _analysed(live: LiveServer, key: str, path: Path, name: str) -> str:
    """Upload ``path`` with ``key`` and follow its analysis to the end; the session id."""
    with live.client(key) as client, path.open("rb") as handle:
        response = client.post("/v1/videos", files={"file": (name, handle)})
    assert response.status_code == 202, response.text
    session_id = str(response.json()["session_id"])
    events = f"{live.ws_url}/v1/sessions/{session_id}/events?api_key={key}"
    assert final_status(events) == "completed"
    return session_id


def _answer(client: httpx.Client, question: str) -> dict[str, object]:
    response = client.post("/v1/chat", json={"question": question})
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["type"] for line in lines] == ["delta", "answer"], lines
    answer: dict[str, object] = lines[-1]
    return answer


def _cited(answer: dict[str, object]) -> set[str]:
    citations = answer["citations"]
    assert isinstance(citations, list) and citations
    assert all(c["valid"] for c in citations), citations
    return {c["video_id"] for c in citations}


def test_a_question_across_three_videos_cites_moments_in_the_right_videos(
    library: Library,
) -> None:
    ids = library.sessions
    with library.live.client(library.keys["alice"]) as alice:
        answer = _answer(alice, "Which videos show HARBOR?")
        assert answer["kind"] == "which" and answer["mode"] == "offline"
        assert _cited(answer) == {ids["harbor.mp4"]}
        assert "harbor-gate.mp4" not in str(answer["answer"])
        assert _cited(_answer(alice, "When was the last time SUNRISE was on screen?")) == {
            ids["sunrise.mp4"]
        }
        listed = alice.get("/v1/library/videos").json()
        assert listed["total"] == 2
        assert {v["video_id"] for v in listed["videos"]} == {ids["harbor.mp4"], ids["sunrise.mp4"]}
        searched = alice.get("/v1/library/search", params={"q": "harbor"}).json()
        assert searched and {h["video_id"] for h in searched} == {ids["harbor.mp4"]}
        assert all(h["image_url"].startswith(f"/v1/sessions/{ids['harbor.mp4']}/frames/")
                   for h in searched if h["kind"] == "frame")  # fmt: skip
        old_route = alice.get("/v1/search", params={"q": "harbor"}).json()
        assert old_route and {h["session_id"] for h in old_route} == {ids["harbor.mp4"]}
        # The session list, from the index: the key's own, filtered and paged.
        pages = [alice.get("/v1/sessions", params={"status": "completed", "limit": 1,
                                                   "offset": n}) for n in (0, 1)]  # fmt: skip
        assert [page.headers["x-total-count"] for page in pages] == ["2", "2"]
        assert [len(page.json()["sessions"]) for page in pages] == [1, 1]
        assert {s["session_id"] for page in pages for s in page.json()["sessions"]} == {
            ids["harbor.mp4"], ids["sunrise.mp4"]
        }  # fmt: skip
        assert alice.get("/v1/sessions", params={"status": "running"}).json()["sessions"] == []
    with library.live.client(library.keys["ops"]) as admin:
        assert _cited(_answer(admin, "Which videos show HARBOR?")) == {
            ids["harbor.mp4"],
            ids["harbor-gate.mp4"],
        }
        assert admin.get("/v1/library/videos").json()["total"] == 3
        assert len(admin.get("/v1/sessions").json()["sessions"]) == 3
        # A page beyond any library (and beyond SQLite's 64-bit integers) is a 422, not a 500.
        huge = admin.get("/v1/library/videos", params={"offset": 2**70})
        assert huge.status_code == 422, huge.text
        assert (
            admin.get("/v1/library/videos", params={"limit": 2, "offset": 2}).json()["videos"][0][
                "video_id"
            ]
            in ids.values()
        )
        # Deleting a session removes it from the library at once.
        assert admin.delete(f"/v1/sessions/{ids['harbor-gate.mp4']}").status_code == 204
        assert _cited(_answer(admin, "Which videos show HARBOR?")) == {ids["harbor.mp4"]}


def test_another_keys_moments_never_appear_in_the_cli(library: Library) -> None:
    settings = library.live.settings
    env = videolens_env(VIDEOLENS_DATA_DIR=str(settings.data_dir))
    if settings.database_url is not None:
        env["VIDEOLENS_DATABASE_URL"] = settings.database_url.get_secret_value()
    bob = run_videolens(["ask", "--all", "Which videos show HARBOR?", "--json",
                         "--key", library.keys["bob"]], env)  # fmt: skip
    assert bob.returncode == 0, bob.stderr
    answer = json.loads(bob.stdout)
    assert {c["video_id"] for c in answer["citations"]} == {library.sessions["harbor-gate.mp4"]}
    assert "harbor.mp4" not in answer["answer"].replace("harbor-gate.mp4", "")
    listed = run_videolens(["library", "list", "--json", "--key", library.keys["bob"]], env)
    assert listed.returncode == 0, listed.stderr
    assert [v["title"] for v in json.loads(listed.stdout)["videos"]] == ["harbor-gate.mp4"]
    found = run_videolens(["library", "search", "sunrise", "--json", "--key",
                           library.keys["bob"]], env)  # fmt: skip
    assert found.returncode == 0 and json.loads(found.stdout) == []
    wrong = run_videolens(["library", "list", "--key", "vl_nothing_here"], env)
    assert wrong.returncode == 2 and "unknown or expired key" in wrong.stderr
    # The index rebuilt from the stores answers the same.
    rebuilt = run_videolens(["reindex"], env)
    assert rebuilt.returncode == 0 and "indexed 3 sessions" in rebuilt.stdout, rebuilt.stderr
    again = run_videolens(["ask", "--all", "Which videos show HARBOR?", "--json",
                           "--key", library.keys["bob"]], env)  # fmt: skip
    assert json.loads(again.stdout)["citations"] == answer["citations"]


def test_listings_show_each_videos_labels_and_their_total_to_browsers(
    settings: Settings, database: str | None
) -> None:
    origin = "http://app.example"
    configured = settings.model_copy(update={
        "cors_origins": [origin], "database_url": SecretStr(database) if database else None,
    })  # fmt: skip
    if database:
        with connect_index(configured) as index:
            index.upgrade()
    with serving(configured, run_workers=False) as live:
        # Written through the stores as an analysis and a stream's windows write them.
        frames = [frame(0, 0.0, ("car", "person"), "white"), frame(1, 1.0, ("car",))]
        sessions = indexed_session_store(live.settings)
        street = finished_session(sessions, "street.mp4", "local", frames).session_id
        dark = finished_session(sessions, "dark.mp4", "local", [frame(0, 0.0)]).session_id
        door = live_stream(indexed_stream_store(live.settings), "door", "local", 1_780_000_000.0)
        with live.client() as browser:
            browser.headers["Origin"] = origin  # a page of another origin asks, as a browser does
            listed = browser.get("/v1/sessions")
            assert listed.headers["x-total-count"] == "2"
            exposed = listed.headers["access-control-expose-headers"].lower().split(", ")
            assert "x-total-count" in exposed, exposed
            assert {s["session_id"]: s["labels"] for s in listed.json()["sessions"]} == {
                street: ["car", "person"], dark: []
            }  # fmt: skip
            chosen = browser.get("/v1/sessions", params={"label": "person"}).json()["sessions"]
            assert [s["session_id"] for s in chosen] == [street]
            streams = browser.get("/v1/streams").json()["streams"]
            assert [(s["stream_id"], s["labels"]) for s in streams] == [(door, ["person", "van"])]
            videos = browser.get("/v1/library/videos").json()["videos"]
            assert {v["video_id"]: v["labels"] for v in videos} == {
                street: ["car", "person"], dark: [], door: ["person", "van"]
            }  # fmt: skip
            one = browser.get(f"/v1/sessions/{street}").json()
            assert "labels" not in one  # a session's own view is as it was
