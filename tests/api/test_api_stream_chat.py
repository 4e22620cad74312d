"""Chat and search over live streams through the real app: on streams written through the
StreamStore at known times (relative to now), and end to end on a real live stream (ffmpeg
sending MPEG-TS over UDP, the stream workflow on the Temporal dev server) asked about the word
it shows on screen."""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from chat.stream_factory import Scene, build_stream
from live_server import serving
from polling import poll
from videolens.api.security import KeyStore
from videolens.config import Settings
from videolens.streams.store import StreamStore
from videolens.timeline.clock import Zone, resolve_zone
from videolens.video.synthetic import ClipSpec

UTC = resolve_zone("UTC")


def ask(http: httpx.Client, stream_id: str, question: str, **body: Any) -> httpx.Response:
    return http.post(f"/v1/streams/{stream_id}/chat", json={"question": question, **body})


def final(response: httpx.Response) -> dict[str, Any]:
    """The last NDJSON line of a chat response (the answer), after checking the deltas."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    assert [line["type"] for line in lines[:-1]] == ["delta"] * (len(lines) - 1)
    assert lines[-1]["type"] == "answer", lines[-1]
    answer: dict[str, Any] = lines[-1]
    return answer


def error_of(response: httpx.Response) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error.get("field")


def _recent_scene(now: float) -> Any:
    """A car 5:00-4:40 min ago; two people 3:00-2:00 min ago; EXIT on screen 2:00-1:40 ago."""

    def scene(at: float) -> Scene:
        ago = now - at
        return Scene(
            cars=1 if 280 <= ago <= 300 else 0,
            people=2 if 120 <= ago <= 180 else 0,
            text=["EXIT"] if 100 <= ago <= 120 else [],
        )

    return scene


def test_chat_and_search_a_stream_in_wall_clock_time(settings: Settings) -> None:
    keys = KeyStore(settings.data_dir / "keys.json")
    alice_record, alice = keys.create("alice")
    _, bob = keys.create("bob")
    store = StreamStore(settings.streams_dir)
    now = time.time()
    times = [now - 1200 + 4 * i for i in range(286)]  # 20 min ago ... 60 s ago
    owner = alice_record.owner_id
    street = build_stream(store, times, _recent_scene(now), owner=owner)
    old = build_stream(store, [now - 3 * 3600 + 4 * i for i in range(10)], _recent_scene(now),
                       owner=owner)  # fmt: skip
    with serving(settings, run_workers=False) as api, api.client(alice) as a, api.client(bob) as b:
        people = final(ask(a, street, "how many people in the last 10 minutes?", tz="UTC"))
        car = final(ask(a, street, "When did a car last appear?", tz="Europe/Berlin"))
        image = a.get(car["citations"][0]["image_url"])
        empty = final(ask(a, old, "anything in the last 10 minutes?"))
        bad_time = ask(a, street, "what happened at 25:61?")
        bad_zone = ask(a, street, "what happened?", tz="Mars/Olympus")
        extra = a.post(f"/v1/streams/{street}/chat", json={"question": "hi", "colour": "red"})
        exit_hits = a.get(f"/v1/streams/{street}/search", params={"q": "EXIT", "tz": "UTC"})
        since = datetime.fromtimestamp(now - 290, timezone.utc).isoformat()
        late_cars = a.get(f"/v1/streams/{street}/search", params={"q": "car", "since": since})
        bad_since = a.get(f"/v1/streams/{street}/search", params={"q": "car", "since": "soon"})
        bad_q = a.get(f"/v1/streams/{street}/search", params={"q": "car at 14:75"})
        others = [
            ask(b, street, "how many people?"),
            b.get(f"/v1/streams/{street}/search", params={"q": "car"}),
            ask(a, "zzzzzzzzzzzz", "how many people?"),
        ]
    assert people["mode"] == "retrieval" and people["time_zone"].startswith("UTC")
    assert "At most 2 people at once in the last 10 minutes" in people["answer"]
    assert people["range"]["since"] == pytest.approx(now - 600, abs=30)
    assert people["range"]["until"] is None
    assert people["citations"] and all(c["valid"] for c in people["citations"])
    peak = people["citations"][0]
    assert peak["text"] in _shown(UTC, peak["frame_at"])
    assert peak["image_url"] == f"/v1/streams/{street}/frames/{peak['seq']}/image"
    frame = store.moment(street, peak["seq"])
    assert frame is not None and frame.people_count == 2
    berlin = resolve_zone("Europe/Berlin")
    first = car["citations"][0]
    assert car["time_zone"].startswith("Europe/Berlin")
    assert first["text"] in _shown(berlin, first["frame_at"]), first
    assert f"A car was last seen at [{first['text']}]" in car["answer"]
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert empty["answer"].startswith("Retrieval only (no chat model configured). Nothing was ")
    assert "in the last 10 minutes" in empty["answer"] and empty["citations"] == []
    assert error_of(bad_time) == (422, "invalid_time", "question")
    assert "'25:61' is not a time of day" in bad_time.json()["error"]["message"]
    assert error_of(bad_zone) == (422, "invalid_time_zone", "tz")
    assert error_of(extra)[0] == 422
    shown = exit_hits.json()
    assert exit_hits.status_code == 200 and shown["hits"]
    assert all(h["text"] == ["EXIT"] and "image" not in h for h in shown["hits"])
    assert shown["hits"][0]["time"] in _shown(UTC, shown["hits"][0]["at"])
    late = late_cars.json()["hits"]
    assert late and all(h["at"] >= now - 290 for h in late)
    assert len(late) < len([t for t in times if 280 <= now - t <= 300])
    assert error_of(bad_since) == (422, "invalid_time", "since")
    assert error_of(bad_q) == (422, "invalid_time", "q")
    for response in others:
        assert error_of(response) == (404, "not_found", None)


@pytest.mark.timeout(180)
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (apt-get install ffmpeg)")
def test_asking_a_live_stream_about_the_word_on_screen(
    stream_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from streams.stream_media import WORD, udp_sender, word_clip

    clip: ClipSpec = word_clip(tmp_path_factory.mktemp("live-clip"))
    with udp_sender(clip) as (_, url), serving(stream_settings) as api, api.client() as http:
        created = http.post("/v1/streams", json={"url": url, "rules": [f"word:{WORD}"]})
        assert created.status_code == 201, created.text
        stream_id = created.json()["stream_id"]
        frames_url = f"/v1/streams/{stream_id}/frames"
        poll(
            lambda: any(WORD in f["text"] for f in http.get(frames_url).json()["frames"]),
            90,
            "a frame with the word described",
        )
        answer = final(ask(http, stream_id, "What was written in the last 5 minutes?", tz="UTC"))
        hits = http.get(f"/v1/streams/{stream_id}/search", params={"q": WORD.lower()}).json()
        frames = {f["seq"]: f for f in http.get(frames_url).json()["frames"]}
        assert http.delete(f"/v1/streams/{stream_id}").status_code == 204
    assert f'"{WORD}" at [' in answer["answer"], answer["answer"]
    cited = [c for c in answer["citations"] if c["valid"]]
    assert cited and len(cited) == len(answer["citations"])
    for citation in cited:  # the cited frame shows the word, at the wall-clock time cited
        frame = frames[citation["seq"]]
        assert WORD in frame["text"] and citation["text"] in _shown(UTC, frame["at"])
    assert abs(cited[0]["frame_at"] - time.time()) < 300
    assert hits["hits"] and all(WORD in h["text"] for h in hits["hits"])


def _shown(zone: Zone, at: float) -> set[str]:
    """How a time may be shown: the time of day, or with its date where the stream's moments
    fall on two days in ``zone`` (a run near its midnight: CI once ran this at 00:08 Berlin)."""
    return {zone.clock(at), zone.clock(at, with_date=True)}
