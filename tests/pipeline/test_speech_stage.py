"""Speech in the workflow: transcribed beside sampling, stored per range, in the result; a video
without audio, with undecodable audio, or with speech turned off still completes and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis_sessions import analyse
from speech_clips import SpeechClip, make_clip, word_error_rate, write_corrupt_audio_video
from videolens.config import Settings
from videolens.video.synthetic import Shot, write_clip


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> SpeechClip:
    """30 s, with a sentence at 3 s and one at 24 s: in two ranges of 20 s (planned 15 + 15)."""
    folder = tmp_path_factory.mktemp("spoken")
    return make_clip(
        folder / "spoken.mp4",
        30.0,
        [
            (3.0, "the quick brown fox jumps over the lazy dog"),
            (24.0, "please bring the red box to the kitchen table"),
        ],
    )


def test_speech_is_transcribed_in_ranges_beside_the_frames(
    settings: Settings, spoken: SpeechClip
) -> None:
    settings = settings.model_copy(update={"speech_range_s": 20.0})
    document = analyse(settings, spoken.path)

    assert document["status"] == "completed"
    assert document["frames"], "the visual analysis must still run"
    speech = document["speech"]
    assert speech["status"] == "ok"
    assert speech["model"] == "whisper-tiny.en" and speech["language"] == "en"
    segments = speech["segments"]
    heard = " ".join(segment["text"] for segment in segments)
    assert word_error_rate(spoken.text, heard) <= 0.3, heard
    starts = [segment["start_s"] for segment in segments]
    for (_, first_sound, _), start in zip(spoken.speech, starts, strict=True):
        assert start == pytest.approx(first_sound, abs=0.5)
    stored = sorted((settings.sessions_dir / document["session_id"] / "speech").glob("*.json"))
    assert len(stored) == 2, "one stored file per planned range"


def test_a_video_without_audio_completes_with_speech_none(
    settings: Settings, tmp_path: Path
) -> None:
    clip = write_clip(tmp_path / "silent.mp4", [Shot(2.0, (200, 40, 40), "QUIET")])
    document = analyse(settings, clip.path)
    assert document["status"] == "completed"
    assert document["speech"]["status"] == "none"
    assert document["speech"]["segments"] == []
    assert "no audio track" in document["speech"]["reason"]


def test_undecodable_audio_is_unavailable_with_a_reason_and_frames_still_described(
    settings: Settings, tmp_path: Path
) -> None:
    video = write_corrupt_audio_video(tmp_path / "corrupt-audio.mp4")
    document = analyse(settings, video)
    assert document["status"] == "completed"
    assert document["frames"]
    assert document["speech"]["status"] == "unavailable"
    assert document["speech"]["reason"]


def test_speech_off_is_recorded_as_off(settings: Settings, spoken: SpeechClip) -> None:
    document = analyse(settings.model_copy(update={"speech": "off"}), spoken.path)
    assert document["status"] == "completed"
    assert document["speech"] == {
        "status": "off", "language": None, "model": None, "segments": [],
    }  # fmt: skip
