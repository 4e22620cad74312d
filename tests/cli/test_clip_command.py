"""``videolens clip`` and ``videolens sheet`` as a user runs them: a real process on a data dir
whose session points at a generated video, as ``videolens analyze`` leaves it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import pytest

from clip_media import CounterClip, decoded_numbers, write_counter_clip
from process_helpers import run_videolens, videolens_env
from videolens.store import SessionStore
from videolens.store.sessions import SessionStatus

SESSION = "clipsession1"


def _run(args: list[str], data_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = videolens_env(VIDEOLENS_DATA_DIR=str(data_dir))
    return run_videolens(args, env, timeout_s=120, cwd=cwd)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> CounterClip:
    return write_counter_clip(tmp_path_factory.mktemp("video") / "walk.mp4", gop=25)


@pytest.fixture
def data_dir(tmp_path: Path, video: CounterClip) -> Path:
    """A completed session of ``video`` (no analysed frames: the sheet comes from the video)."""
    data_dir = tmp_path / "data"
    store = SessionStore(data_dir / "sessions")
    store.create(str(video.path), {}, session_id=SESSION)
    store.finish(
        SESSION, SessionStatus.COMPLETED, video={"path": str(video.path), "duration_s": 12.0}
    )
    return data_dir


def test_clip_writes_an_mp4_here_and_says_where_it_really_starts(
    data_dir: Path, tmp_path: Path
) -> None:
    result = _run(["clip", SESSION, "0:05.5", "--before", "2", "--after", "3"], data_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    written = tmp_path / f"{SESSION}-00m05s.mp4"
    assert result.stdout == (
        f"wrote {written.name}: starts at 00:03.00, lasts 5.56 s (a stream copy from the keyframe "
        "at or before the asked start; asked 00:03.50 to 00:08.50)\n"
    )
    numbers, _ = decoded_numbers(written)
    assert numbers[0] == 75 and len(numbers) == 139  # 3.00 s to 8.56 s at 25 fps


def test_clip_json_and_output_file(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "moment.mp4"
    result = _run(["clip", SESSION, "7", "-o", str(target), "--json"], data_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout)
    assert made == {
        "path": str(target),
        "start_s": 4.0,
        "duration_s": pytest.approx(8.0, abs=0.1),
        "method": "copy",
        "asked_start_s": 4.0,
        "asked_end_s": 12.0,
        "cached": False,
    }
    numbers, _ = decoded_numbers(target)
    assert numbers[0] == 100 and numbers[-1] == 299


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1:00"], "error: 01:00.0 is outside the video, which lasts 00:12.0"),
        (["soon"], "error: 'soon' is not a time: use seconds (83), mm:ss (1:23)"),
        (["5", "--before", "-1"], "error: before must be 0 or more seconds, not -1"),
        (["5", "--after", "200"], "error: a clip lasts at most 120 s"),
    ],
    ids=["past-the-end", "not-a-time", "negative-before", "too-long"],
)
def test_bad_clip_requests_exit_2_with_one_line(
    data_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = _run(["clip", SESSION, *args], data_dir, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == "" and list(tmp_path.glob("*.mp4")) == []


def test_a_session_whose_video_is_gone_says_so(tmp_path: Path) -> None:
    gone = tmp_path / "deleted.mp4"
    write_counter_clip(gone, seconds=2)
    data_dir = tmp_path / "data"
    store = SessionStore(data_dir / "sessions")
    store.create(str(gone), {}, session_id=SESSION)
    gone.unlink()
    result = _run(["clip", SESSION, "1"], data_dir, tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "error: the video of this session (deleted.mp4) is no longer there: it was moved or "
        "deleted, so no clip can be cut\n"
    )
    unknown = _run(["clip", "nosuchsessio", "1"], data_dir, tmp_path)
    assert unknown.returncode == 2 and unknown.stderr == "error: no session 'nosuchsessio'\n"


def test_sheet_writes_one_image_of_n_thumbnails(data_dir: Path, tmp_path: Path) -> None:
    result = _run(["sheet", SESSION, "-n", "6", "-o", "look.png"], data_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "wrote look.png (976x408): 6 frames of the video from 00:01 to 00:11\n"
    )
    image = cv2.imread(str(tmp_path / "look.png"))
    assert image is not None and image.shape == (408, 976, 3)
    default = _run(["sheet", SESSION], data_dir, tmp_path)
    assert default.returncode == 0, default.stderr
    assert (tmp_path / f"{SESSION}-sheet.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    assert "12 frames of the video" in default.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "0"], "error: a contact sheet holds 1 to 100 thumbnails, not 0\n"),
        (["-o", "sheet.gif"], "error: sheet.gif: a contact sheet is written as .jpg or .png\n"),
    ],
)
def test_bad_sheet_requests_exit_2(
    data_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = _run(["sheet", SESSION, *args], data_dir, tmp_path)
    assert (result.returncode, result.stderr) == (2, message)
