"""``PATCH /v1/sessions/{id}`` (a title) and ``POST /v1/sessions/{id}/rerun`` (the same stored
video, other options, a new session) over real HTTP against real analyses."""

from __future__ import annotations

from live_server import LiveServer, final_status


def test_a_title_is_stored_listed_and_given_back(api: LiveServer, analysed: str) -> None:
    with api.client() as client:
        renamed = client.patch(f"/v1/sessions/{analysed}", json={"title": "  Harbour, take 2 "})
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["title"] == "Harbour, take 2"
        assert client.get(f"/v1/sessions/{analysed}").json()["title"] == "Harbour, take 2"
        listed = client.get("/v1/sessions").json()["sessions"]
        assert [s["title"] for s in listed if s["session_id"] == analysed] == ["Harbour, take 2"]

        cleared = client.patch(f"/v1/sessions/{analysed}", json={"title": ""})
        assert cleared.status_code == 200 and cleared.json().get("title") is None
        assert cleared.json()["filename"] == "harbour walk.mp4"

        too_long = client.patch(f"/v1/sessions/{analysed}", json={"title": "x" * 201})
        assert too_long.status_code == 422
        unknown = client.patch(f"/v1/sessions/{analysed}", json={"status": "completed"})
        assert unknown.status_code == 422
        missing = client.patch("/v1/sessions/000000000000", json={"title": "x"})
        assert missing.status_code == 404


def test_a_rerun_is_a_new_session_of_the_same_video_with_its_options(
    api: LiveServer, analysed: str
) -> None:
    original = analysed
    with api.client() as client:
        client.patch(f"/v1/sessions/{original}", json={"title": "Harbour"})
        response = client.post(
            f"/v1/sessions/{original}/rerun", json={"strategy": "interval", "interval_s": 1.5}
        )
        assert response.status_code == 202, response.text
        rerun = response.json()["session_id"]
        assert rerun != original and response.headers["location"] == f"/v1/sessions/{rerun}"
    assert final_status(f"{api.ws_url}/v1/sessions/{rerun}/events") == "completed"
    with api.client() as client:
        document = client.get(f"/v1/sessions/{rerun}").json()
        assert document["options"]["strategy"] == "interval"
        assert document["options"]["interval_s"] == 1.5
        assert document["filename"] == "harbour walk.mp4" and document["title"] == "Harbour"
        # The copy is the new session's own: deleting the original leaves it playable.
        assert client.delete(f"/v1/sessions/{original}").status_code == 204
        video = client.get(f"/v1/sessions/{rerun}/video", headers={"Range": "bytes=0-99"})
        assert video.status_code == 206 and len(video.content) == 100

        bad = client.post(f"/v1/sessions/{rerun}/rerun", json={"interval_s": -1})
        assert bad.status_code == 422
        bad_backend = client.post(f"/v1/sessions/{rerun}/rerun", json={"backend": "nonesuch"})
        assert bad_backend.status_code == 422 and "nonesuch" in bad_backend.text
        gone = client.post("/v1/sessions/000000000000/rerun", json={})
        assert gone.status_code == 404
