"""Optional recording of a live stream, remuxed (never re-encoded) into MPEG-TS segments.

Each segment starts on a video keyframe, so it plays on its own; its file name is the wall-clock
millisecond of its first packet (``<ms>.ts``), which is how cited moments find their segment and
how retention finds old ones without opening any file.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import av

log = logging.getLogger(__name__)

SEGMENT_SUFFIX = ".ts"


def segment_name(start_at: float) -> str:
    return f"{int(start_at * 1000):013d}{SEGMENT_SUFFIX}"


def segment_start(path: Path) -> float | None:
    """The wall-clock start of a segment file from its name (None for a foreign file)."""
    stem = path.name.removesuffix(SEGMENT_SUFFIX)
    return int(stem) / 1000 if stem.isdigit() and path.name.endswith(SEGMENT_SUFFIX) else None


class SegmentRecorder:
    """Receives every demuxed packet of one connection and writes segments of ~``segment_s``."""

    def __init__(self, folder: Path, container: Any, segment_s: float) -> None:
        self.folder, self.segment_s = folder, segment_s
        self._inputs = [s for s in container.streams if s.type in ("video", "audio")]
        self._output: Any = None
        self._streams: dict[int, Any] = {}
        self._started = 0.0
        self.failed = ""

    def on_packet(self, packet: Any) -> None:
        """Mux ``packet`` into the current segment; start a new one on a keyframe when due."""
        if self.failed or packet.dts is None or packet.size == 0:
            return
        now = time.time()
        keyframe = packet.stream.type == "video" and packet.is_keyframe
        if self._output is None and not keyframe:
            return  # a segment must start on a keyframe to play on its own
        if keyframe and (self._output is None or now - self._started >= self.segment_s):
            self._rotate(now)
        target = self._streams.get(packet.stream.index)
        if target is None:
            return
        packet.stream = target
        try:
            self._output.mux(packet)
        except (av.FFmpegError, ValueError, OSError) as err:
            # Recording is a convenience: a failure stops it, never the watching.
            self.failed = str(err)
            log.warning("recording stopped: %s", err)
            self.close()

    def _rotate(self, now: float) -> None:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._output = av.open(str(self.folder / segment_name(now)), mode="w", format="mpegts")
        self._streams = {s.index: self._output.add_stream_from_template(s) for s in self._inputs}
        self._started = now

    def close(self) -> None:
        if self._output is not None:
            try:
                self._output.close()
            except (av.FFmpegError, OSError) as err:
                log.warning("closing a recording segment failed: %s", err)
            self._output = None
