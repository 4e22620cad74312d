"""The video a browser can play: the upload itself, or a copy made once and cached in the session.

The copy (``<session>/playable.mp4``) is made on the first request for the video. An exclusive
``flock`` on ``playable.lock`` makes a second request (another thread, or another server process
on the same data dir) wait for the first one's copy instead of making its own. When no copy can be
made, the reason is kept in ``playable.error`` so each request does not retry a failing transcode.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from videolens.video.playable import PlayableError, make_playable, media_codecs

PLAYABLE_FILE = "playable.mp4"
LOCK_FILE = "playable.lock"
ERROR_FILE = "playable.error"


def browser_video(source: Path, session_dir: Path) -> Path:
    """``source`` when browsers play it, else the cached playable copy (made now if needed).

    Raises :class:`PlayableError` with a sentence for the user when no copy can be made.
    """
    copy = session_dir / PLAYABLE_FILE
    if copy.is_file():
        return copy
    if media_codecs(source).browser_playable:
        return source
    session_dir.mkdir(parents=True, exist_ok=True)
    with (session_dir / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if copy.is_file():
            return copy  # made by whoever held the lock before us
        failed = session_dir / ERROR_FILE
        if failed.is_file():
            raise PlayableError(failed.read_text(encoding="utf-8"))
        try:
            return make_playable(source, copy)
        except PlayableError as err:
            failed.write_text(str(err), encoding="utf-8")
            raise
