"""A full disk in embedded mode: the data dir on a small filesystem made by the test.

The real ``videolens analyze`` (and ``videolens up`` for uploads) fill it with frames. Each run
must end with one sentence about disk space, the session marked failed with the reason, its
partial files removed and the space given back, whether Temporal's database lives elsewhere
(``VIDEOLENS_TEMPORAL_DB_FILE``) or on the same full disk.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_helpers import VIDEOLENS, DataDir, alive, poll, ready, spawn, stop

from videolens.video.synthetic import ClipSpec, Shot, write_clip

DISK_KB = 8 * 1024
# Just above the size of a new embedded Temporal database (about 700 KB): it fills mid-run.
TEMPORAL_DISK_KB = 760
RUN_TIMEOUT_S = 240


@contextmanager
def small_filesystem(mountpoint: Path, size_kb: int) -> Iterator[Path]:
    """Mount a ``size_kb`` filesystem at ``mountpoint``: a tmpfs, else a loop-mounted ext4 image.

    Skips the test, saying why, where neither can be mounted (not root, no mount command, a
    container without the capability).
    """
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("no mount/umount command to make a small filesystem with")
    mountpoint.mkdir(parents=True)
    image = mountpoint.with_name(mountpoint.name + ".img")
    refused = _mount(["-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mountpoint)])
    if refused:
        refused = f"tmpfs: {refused}; ext4 image: " + (
            _make_ext4(image, size_kb) or _mount(["-o", "loop", str(image), str(mountpoint)])
        )
    if refused:
        image.unlink(missing_ok=True)
        pytest.skip(f"cannot mount a small filesystem here ({refused})")
    try:
        yield mountpoint
    finally:
        if subprocess.run(["umount", str(mountpoint)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)
        image.unlink(missing_ok=True)


def _mount(arguments: list[str]) -> str:
    """Run ``mount`` with ``arguments``; "" when it worked, else why not."""
    done = subprocess.run(["mount", *arguments], capture_output=True, text=True, timeout=30)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def _make_ext4(image: Path, size_kb: int) -> str:
    """An ext4 filesystem of ``size_kb`` in the file ``image``; "" when made, else why not."""
    if shutil.which("mkfs.ext4") is None:
        return "no mkfs.ext4"
    with image.open("wb") as handle:
        handle.truncate(size_kb * 1024)
    done = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], capture_output=True, text=True
    )
    return "" if done.returncode == 0 else (done.stderr.strip() or "mkfs.ext4 failed")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_filesystem(tmp_path / "disk", DISK_KB) as mountpoint:
        yield mountpoint


@pytest.fixture(scope="module")
def big_frames_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    """20 s of noisy 640x360 pictures: at 0.1 s, 200 JPEGs of ~60 KB, more than the disk holds."""
    return write_clip(
        tmp_path_factory.mktemp("disk-full") / "noisy.mp4",
        [Shot(10.0, (200, 40, 40), "ALPHA"), Shot(10.0, (30, 120, 200), "BRAVO")],
        textured=True,
    )


def _environment(data: DataDir, temporal_db: Path | None) -> dict[str, str]:
    env = data.environment()
    env.update(VIDEOLENS_INTERVAL_S="0.1", VIDEOLENS_MAX_FRAMES="1000", VIDEOLENS_BACKEND="basic")
    if temporal_db is not None:
        env["VIDEOLENS_TEMPORAL_DB_FILE"] = str(temporal_db)
    return env


def _leftover_server(data: DataDir) -> int | None:
    """The embedded server still alive after its last user left (killed then), else None."""
    pid = data.server_pid()
    if pid is not None:  # it would hold the small disk busy
        os.kill(pid, signal.SIGKILL)
        poll(lambda: not alive(pid), 30, "the leftover embedded server to stop")
    return pid


def _free(path: Path) -> int:
    return shutil.disk_usage(path).free


def _only_session(data: DataDir) -> tuple[Path, dict[str, Any]]:
    sessions = data.sessions()
    assert len(sessions) == 1, sessions
    document: dict[str, Any] = json.loads((sessions[0] / "session.json").read_text())
    return sessions[0], document


def _index_size(data: DataDir) -> int:
    """Bytes of the library index in the data dir (its database, journal and WAL files)."""
    return sum(p.stat().st_size for p in data.root.glob("library.sqlite*"))


def _assert_failed_for_space_and_emptied(folder: Path, document: dict[str, Any]) -> None:
    assert document["status"] == "failed"
    assert "out of disk space" in document["error"]
    assert document["frames"] == []
    left = [p.relative_to(folder) for p in folder.rglob("*") if p.name != "session.json"]
    # Only the document and, for uploads, the video stay: no JPEG, no .part, no batch.
    assert all(p.name.startswith("video") for p in left), left


def _analyze_until_full(data: DataDir, clip: ClipSpec, temporal_db: Path | None) -> str:
    """Run ``videolens analyze`` onto the small disk; returns its stderr after the checks."""
    result = subprocess.run(
        [VIDEOLENS, "analyze", str(clip.path), "--json"],
        env=_environment(data, temporal_db),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "out of disk space" in errors[0], errors[0]
    return result.stderr


@pytest.mark.timeout(300)
def test_frames_fill_the_data_dir_and_temporal_lives_elsewhere(
    disk: Path, tmp_path: Path, big_frames_clip: ClipSpec
) -> None:
    data = DataDir(disk / "data")
    temporal_db = tmp_path / "temporal" / "temporal.sqlite"
    free_before = _free(disk)
    try:
        stderr = _analyze_until_full(data, big_frames_clip, temporal_db)
    finally:
        leftover = _leftover_server(data)
    # The check before the run saw that 200 frames would not fit, and said so.
    assert "warning: this run needs about" in stderr and "may run out of space" in stderr
    folder, document = _only_session(data)
    _assert_failed_for_space_and_emptied(folder, document)
    assert str(folder) in document["error"]
    # Temporal kept its database where the setting put it, not on the full disk.
    assert temporal_db.is_file()
    assert not (data.root / "temporal.sqlite").exists()
    # Everything but a few small files and the library index (a video is listed there, failed
    # or not) is free again.
    index_bytes = _index_size(data)
    assert _free(disk) >= free_before - index_bytes - 64 * 1024, (_free(disk), free_before)
    assert leftover is None, "the embedded server outlived the run"


@pytest.mark.timeout(300)
def test_frames_and_temporal_on_one_full_disk(disk: Path, big_frames_clip: ClipSpec) -> None:
    data = DataDir(disk / "data")
    free_before = _free(disk)
    try:
        _analyze_until_full(data, big_frames_clip, temporal_db=None)
    finally:
        leftover = _leftover_server(data)
    folder, document = _only_session(data)
    _assert_failed_for_space_and_emptied(folder, document)
    # Temporal could record the failure (the activity gave the frames' room back first); what
    # stays on the disk is its database and the session document.
    database = data.root / "temporal.sqlite"
    assert database.is_file()
    used = free_before - _free(disk)
    assert used <= database.stat().st_size + 256 * 1024, (used, database.stat().st_size)
    assert _free(disk) >= free_before * 3 // 4
    assert leftover is None, "the embedded server outlived the run"


@pytest.mark.timeout(300)
def test_temporal_database_disk_fills_mid_run(tmp_path: Path, big_frames_clip: ClipSpec) -> None:
    """Temporal still answers queries but records nothing: the CLI sees the run stall."""
    data = DataDir(tmp_path / "data")
    with small_filesystem(tmp_path / "temporal", TEMPORAL_DISK_KB) as temporal_disk:
        database = temporal_disk / "temporal.sqlite"
        try:
            _analyze_until_full(data, big_frames_clip, database)
        finally:
            leftover = _leftover_server(data)
    folder, document = _only_session(data)
    _assert_failed_for_space_and_emptied(folder, document)
    assert str(database) in document["error"]
    assert "VIDEOLENS_TEMPORAL_DB_FILE" in document["error"]
    assert leftover is None, "the embedded server outlived the run"


def _chunks(path: Path) -> Iterator[bytes]:
    """The upload body without a Content-Length: the server only learns its size as it writes."""
    with path.open("rb") as handle:
        while chunk := handle.read(64 * 1024):
            yield chunk


def _multipart(path: Path) -> tuple[bytes, bytes, str]:
    boundary = "diskfullboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.timeout(300)
def test_uploads_onto_a_full_disk_get_507_and_a_run_that_fills_it_fails(
    disk: Path, tmp_path: Path, big_frames_clip: ClipSpec
) -> None:
    data = DataDir(disk / "data")
    data.root.mkdir()
    env = _environment(data, tmp_path / "temporal" / "temporal.sqlite")
    process = _start_up(data, env)
    filler = disk / "filler"
    try:
        # Written, not truncated (a sparse file takes no room): ~256 KB stay, less than the clip.
        filler.write_bytes(bytes(_free(disk) - 256 * 1024))
        head, tail, content_type = _multipart(big_frames_clip.path)

        declared = _post(data, head + big_frames_clip.path.read_bytes() + tail, content_type)
        assert declared.status_code == 507, declared.text
        assert declared.json()["error"]["code"] == "insufficient_storage"

        def streamed() -> Iterator[bytes]:
            yield head
            yield from _chunks(big_frames_clip.path)
            yield tail

        cut = _post(data, streamed(), content_type)
        assert cut.status_code == 507, cut.text
        assert "out of disk space" in cut.json()["error"]["message"]
        assert data.parts() == [] and data.sessions() == []

        filler.unlink()
        free_before = _free(disk)
        index_before = _index_size(data)
        accepted = _post(data, head + big_frames_clip.path.read_bytes() + tail, content_type)
        assert accepted.status_code == 202, accepted.text
        session_id = accepted.json()["session_id"]
        url = f"{data.url}/v1/sessions/{session_id}"
        document = poll(
            lambda: (d := httpx.get(url, timeout=30).json())["status"] != "running" and d,
            180,
            "the uploaded run to end",
        )
        assert document["status"] == "failed" and "out of disk space" in document["error"]
        folder, stored = _only_session(data)
        _assert_failed_for_space_and_emptied(folder, stored)
        video_bytes = big_frames_clip.path.stat().st_size
        # The library index lists the failed video too: its growth is not a leftover.
        index_growth = _index_size(data) - index_before
        assert _free(disk) >= free_before - video_bytes - index_growth - 64 * 1024
    finally:
        filler.unlink(missing_ok=True)
        code, stderr = stop(process)
        leftover = _leftover_server(data)
    assert code == 0 and "Traceback" not in stderr, stderr
    assert leftover is None, "the embedded server outlived `videolens up`"


def _start_up(data: DataDir, env: dict[str, str]) -> subprocess.Popen[str]:
    """``videolens up`` with this test's environment, ready to serve."""
    process = spawn([VIDEOLENS, "up", "--port", str(data.api_port)], env)
    poll(lambda: ready(data.url) or process.poll() is not None, 120, "`videolens up` to be ready")
    assert process.poll() is None, process.communicate()[1]
    return process


def _post(data: DataDir, body: bytes | Iterator[bytes], content_type: str) -> httpx.Response:
    return httpx.post(
        f"{data.url}/v1/videos", content=body, headers={"Content-Type": content_type}, timeout=60
    )
