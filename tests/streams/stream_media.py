"""Real live sources for the stream tests: ffmpeg sending a generated clip over UDP (MPEG-TS) or
writing HLS that a local HTTP server serves, and HTTP servers that answer 401 or 404."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from local_http import local_http_server
from videolens.pipeline.temporal_server import free_port
from videolens.video.synthetic import ClipSpec, Shot, write_clip

WORD = "EXIT"
# 9 s, looped: a blue shot, the word on a red shot from 3 s to 6 s, a green shot.
WORD_SHOTS = (
    Shot(3.0, (30, 40, 120), ""),
    Shot(3.0, (200, 40, 40), WORD),
    Shot(3.0, (40, 160, 80), ""),
)
WORD_FROM_S, LOOP_S = 3.0, 9.0
# Real-time H.264 with a keyframe every half second, so a receiver joins (or rejoins) fast.
ENCODE = ["-an", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "12"]


def word_clip(folder: Path) -> ClipSpec:
    return write_clip(folder / "word.mp4", WORD_SHOTS, width=640, height=360)


def word_shown_at(started_at: float, frame_at: float) -> float:
    """When the word last appeared on screen at or before ``frame_at`` (the sender's clock)."""
    loops = int((frame_at - started_at - WORD_FROM_S + 0.5) // LOOP_S)
    return started_at + WORD_FROM_S + max(0, loops) * LOOP_S


@dataclass
class Sender:
    """An ffmpeg process playing a clip in real time (``-re``), looped, to one output."""

    clip: ClipSpec
    output: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> None:
        args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1"]
        args += ["-i", str(self.clip.path), *ENCODE, *self.output]
        self.started_at = time.time()
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL)

    def kill(self) -> None:
        """Stop sending at once (SIGKILL: the source just drops, as a camera losing power)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@contextmanager
def udp_sender(clip: ClipSpec) -> Iterator[tuple[Sender, str]]:
    """ffmpeg sending MPEG-TS to a free UDP port on 127.0.0.1; yields it and the URL to read."""
    port = free_port()
    sender = Sender(clip, ["-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"])
    sender.start()
    try:
        yield sender, f"udp://127.0.0.1:{port}"
    finally:
        sender.kill()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test's stderr."""


class _Refusing(_QuietFiles):
    """Answers 401 to anyone (a source whose credentials are wrong)."""

    def do_GET(self) -> None:
        self.send_response(401, "Unauthorized")
        self.send_header("WWW-Authenticate", 'Basic realm="camera"')
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def http_server(folder: Path, *, refuse: bool = False) -> Iterator[str]:
    """A local HTTP server of ``folder`` (or one that answers 401); yields its base URL."""
    handler = _Refusing if refuse else _QuietFiles
    with local_http_server(partial(handler, directory=str(folder))) as base_url:
        yield base_url


@contextmanager
def hls_sender(clip: ClipSpec, folder: Path) -> Iterator[tuple[Sender, str]]:
    """ffmpeg writing live HLS (1 s segments) into ``folder``, served over HTTP."""
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / "live.m3u8"
    hls = ["-f", "hls", "-hls_time", "1", "-hls_list_size", "4"]
    hls += ["-hls_flags", "delete_segments+omit_endlist+temp_file", str(playlist)]
    sender = Sender(clip, hls)
    with http_server(folder) as base:
        sender.start()
        try:
            yield sender, f"{base}/live.m3u8"
        finally:
            sender.kill()
