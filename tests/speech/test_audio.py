"""audio_track and decode_audio on generated clips (and a real trailer's AC3 track)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from real_media import opencv_data_file
from speech_clips import (
    RATE,
    SpeechClip,
    espeak,
    track,
    write_corrupt_audio_video,
    write_unknown_codec_avi,
    write_video,
)
from videolens.errors import InvalidVideoError
from videolens.speech import AudioTrack, AudioUnavailableError, audio_track, decode_audio


def test_a_clip_with_speech_has_an_ok_track(two_sentences: SpeechClip) -> None:
    track_ = audio_track(two_sentences.path)
    assert track_.status == "ok" and track_.reason == ""
    assert track_.codec == "aac"
    assert track_.duration_s == pytest.approx(14.0, abs=0.1)


def test_decoding_gives_16khz_mono_float32_aligned_with_the_placement(
    two_sentences: SpeechClip,
) -> None:
    samples = decode_audio(two_sentences.path)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert samples.size / RATE == pytest.approx(14.0, abs=0.1)
    loud = np.flatnonzero(np.abs(samples) > 0.01) / RATE
    (_, first_start, first_end), (_, second_start, _) = two_sentences.speech
    assert loud[0] == pytest.approx(first_start, abs=0.03)
    # Nothing sounds between the two sentences.
    assert not np.any((loud > first_end + 0.1) & (loud < second_start - 0.1))


def test_a_range_is_the_same_audio_as_that_part_of_the_whole(two_sentences: SpeechClip) -> None:
    whole = decode_audio(two_sentences.path)
    part = decode_audio(two_sentences.path, 8.0, 12.5)
    assert part.size == round(4.5 * RATE)
    reference = whole[8 * RATE : 8 * RATE + part.size]
    lags = range(-3, 4)
    errors = [np.abs(np.roll(part, lag) - reference)[10:-10].max() for lag in lags]
    best = int(np.argmin(errors))
    assert list(lags)[best] == 0, "the range is shifted against the whole decode"
    assert errors[best] < 0.02


def test_a_range_past_the_end_is_cut_short(two_sentences: SpeechClip) -> None:
    tail = decode_audio(two_sentences.path, 13.0, 20.0)
    assert 0.9 * RATE <= tail.size <= 1.1 * RATE


def test_a_bad_range_is_refused(two_sentences: SpeechClip) -> None:
    with pytest.raises(ValueError, match="range"):
        decode_audio(two_sentences.path, 5.0, 5.0)
    with pytest.raises(ValueError, match="range"):
        decode_audio(two_sentences.path, -1.0, 2.0)


def _refused_track(path: Path, status: str, why: str, *decode_range: float) -> AudioTrack:
    """The audio track of ``path``, checked to have ``status`` for the reason ``why``, and
    checked that decoding it (over ``decode_range`` when given) raises for that reason."""
    result = audio_track(path)
    assert result.status == status
    assert why in result.reason
    with pytest.raises(AudioUnavailableError, match=why):
        decode_audio(path, *decode_range)
    return result


def test_a_video_without_audio_has_none(speech_dir: Path) -> None:
    _refused_track(write_video(speech_dir / "silent-film.mp4", None, 3.0), "none", "no audio track")


def test_corrupt_audio_packets_make_the_track_unavailable(speech_dir: Path) -> None:
    path = write_corrupt_audio_video(speech_dir / "corrupt-audio.mp4")
    result = _refused_track(path, "unavailable", "could not be decoded")
    assert result.codec == "aac"
    assert "corrupt-audio.mp4" in result.reason
    assert result.reason.count(".") >= 1 and "\n" not in result.reason


def test_an_audio_codec_without_a_decoder_makes_the_track_unavailable(speech_dir: Path) -> None:
    path = write_unknown_codec_avi(speech_dir / "unknown-codec.avi")
    _refused_track(path, "unavailable", "no decoder", 0.0, 1.0)


def test_a_file_that_is_no_video_is_an_invalid_video(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"not a video at all" * 100)
    with pytest.raises(InvalidVideoError):
        audio_track(path)


def test_audio_starting_late_keeps_its_place_on_the_timeline(speech_dir: Path) -> None:
    """Speech at 6 s of a 7 s clip decoded from a seek lands at 6 s, not at the range start."""
    speech = espeak("hello", speech_dir / "wav")
    path = write_video(speech_dir / "late.mp4", track(7.0, [(6.0, speech)]), 7.0)
    part = decode_audio(path, 4.0, 7.0)
    onset = 4.0 + np.flatnonzero(np.abs(part) > 0.01)[0] / RATE
    assert onset == pytest.approx(6.0, abs=0.05)


def test_an_audio_stream_that_starts_after_the_video_keeps_its_place(speech_dir: Path) -> None:
    """The audio stream's first packet is at 2 s: its speech at 1 s of the track is at 3 s of
    the video, with silence before it, whether decoded whole or from a seek."""
    speech = espeak("hello there", speech_dir / "wav")
    path = write_video(
        speech_dir / "delayed.mp4", track(5.0, [(1.0, speech)]), 8.0, audio_start_s=2.0
    )
    expected = 3.0 + np.flatnonzero(np.abs(speech) > 0.01)[0] / RATE
    assert audio_track(path).duration_s == pytest.approx(7.0, abs=0.05)
    whole = decode_audio(path)
    assert whole.size / RATE == pytest.approx(7.0, abs=0.05)
    assert np.flatnonzero(np.abs(whole) > 0.01)[0] / RATE == pytest.approx(expected, abs=0.03)
    part = decode_audio(path, 2.5, 6.0)
    assert part.size == round(3.5 * RATE)
    onset = 2.5 + np.flatnonzero(np.abs(part) > 0.01)[0] / RATE
    assert onset == pytest.approx(expected, abs=0.03)


def test_the_ac3_track_of_a_real_trailer_decodes() -> None:
    """Megamind.avi (opencv-doc): AC3 at 48 kHz stereo whose last packet is incomplete."""
    path = opencv_data_file("Megamind.avi")
    result = audio_track(path)
    assert result.status == "ok" and result.codec == "ac3"
    assert result.duration_s == pytest.approx(11.26, abs=0.2)
    samples = decode_audio(path)
    assert samples.size / RATE == pytest.approx(11.2, abs=0.3)
    assert float(np.sqrt(np.mean(samples**2))) > 0.01  # real sound, not silence
