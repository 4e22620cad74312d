"""RTSP from a real server (GStreamer's gst-rtsp-server, from Debian's packages) that asks for
credentials: the right ones watch the stream live, wrong ones are refused at once, and the
password never reaches Temporal's history or the stream document."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from stream_helpers import frames_with_word, poll, wait_for, watched_stream
from stream_media import WORD, WORD_SHOTS

from process_helpers import stop
from videolens.config import Settings
from videolens.pipeline.stream_client import StreamRequest
from videolens.pipeline.temporal_server import free_port, listening
from videolens.streams.errors import CredentialsRefusedError
from videolens.streams.reader import StreamReader
from videolens.streams.source import SourceLimits, check_url
from videolens.streams.store import StreamStore
from videolens.timeline.model import Moment
from videolens.video.synthetic import ClipSpec, write_clip
from videolens.video.types import SamplingOptions

SYSTEM_PYTHON = "/usr/bin/python3"  # PyGObject comes with Debian's Python, not with the venv
SERVER = Path(__file__).with_name("rtsp_server.py")
PASSWORD = "s3cr3t-pw"
PACKAGES = (
    "gir1.2-gst-rtsp-server-1.0",
    "python3-gi",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
)
CHECK = (
    "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
)


def _server_missing() -> str:
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", CHECK], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"no {SYSTEM_PYTHON} ({err})"
    if done.returncode != 0:
        return f"gst-rtsp-server is not installed (apt-get install {' '.join(PACKAGES)})"
    return ""


pytestmark = pytest.mark.skipif(bool(_server_missing()), reason=_server_missing() or "ok")


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> ClipSpec:
    """54 s: the word clip six times over (the server plays it once, in real time)."""
    return write_clip(
        tmp_path_factory.mktemp("rtsp") / "long.mp4", WORD_SHOTS * 6, width=640, height=360
    )


@contextmanager
def rtsp_server(clip: ClipSpec) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [SYSTEM_PYTHON, str(SERVER), str(port), str(clip.path), f"viewer:{PASSWORD}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        poll(lambda: listening(port) or process.poll() is not None, 30, "the RTSP server")
        assert process.poll() is None, "the RTSP server exited"
        yield port
    finally:
        stop(process, timeout_s=10)


@pytest.mark.timeout(120)
def test_an_rtsp_camera_with_credentials(
    stream_settings: Settings, store: StreamStore, long_clip: ClipSpec, tmp_path: Path
) -> None:
    async def scenario(port: int) -> tuple[str, Moment, float, str]:
        url = f"rtsp://viewer:{PASSWORD}@127.0.0.1:{port}/live"
        async with watched_stream(
            stream_settings, StreamRequest(url=url, rules=[f"word:{WORD}"])
        ) as stream:
            stream_id = stream.stream_id
            found = await wait_for(lambda: frames_with_word(store, stream_id, WORD), 60, "the word")
            seen_at = time.time()
            await wait_for(lambda: store.stream_events(stream_id), 10, "the word's event")
            await stream.stop()
            history = [str(event) async for event in stream.handle.fetch_history_events()]
        return stream_id, found[0], seen_at, "\n".join(history)

    with rtsp_server(long_clip) as port:
        reader = StreamReader(
            check_url(f"rtsp://viewer:wrong@127.0.0.1:{port}/live"),
            SourceLimits(connect_timeout_s=3, read_timeout_s=2),
            SamplingOptions(),
            tmp_path / "frames",
        )
        with pytest.raises(CredentialsRefusedError, match="refused the credentials"):
            reader.read_window(10.0, 0, None, lambda _: None)
        stream_id, frame, seen_at, history = asyncio.run(scenario(port))
    assert seen_at - (frame.at or 0.0) < 6.0
    assert store.stream_events(stream_id)[0].seq == frame.seq
    document = store.document(stream_id)
    assert document.url == f"rtsp://viewer:***@127.0.0.1:{port}/live"
    assert PASSWORD not in json.dumps(document.as_json())
    assert PASSWORD not in history  # the URL stays in the store's private file
