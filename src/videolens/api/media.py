"""The video a browser can play: the upload itself, or a copy made once and cached in the session.

The copy (``<session>/playable.mp4``) is made on the first request for the video. An exclusive
``flock`` on ``playable.lock`` makes a second request (another thread, or another server process
on the same data dir) wait for the first one's copy instead of making its own. When the file
itself cannot be made playable, the reason is kept in ``playable.error`` so each request does not
retry a failing transcode; a failure of the moment (a full disk, a refused read) is never kept,
so the video plays once the cause is gone.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from videolens.store.space import is_out_of_space, out_of_space, raising_out_of_space
from videolens.video.playable import PlayableError, make_playable, media_codecs

PLAYABLE_FILE = "playable.mp4"
LOCK_FILE = "playable.lock"
ERROR_FILE = "playable.error"


def browser_video(source: Path, session_dir: Path) -> Path:
    """``source`` when browsers play it, else the cached playable copy (made now if needed).

    Raises :class:`PlayableError` with a sentence for the user when no copy can be made, and
    :class:`~videolens.errors.OutOfSpaceError` when the disk is too full to make it now.
    """
    copy = session_dir / PLAYABLE_FILE
    if copy.is_file():
        return copy
    if media_codecs(source).browser_playable:
        return source
    with raising_out_of_space(session_dir):
        session_dir.mkdir(parents=True, exist_ok=True)
        with (session_dir / LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if copy.is_file():
                return copy  # made by whoever held the lock before us
            return _make_or_recall(source, copy, session_dir / ERROR_FILE)


def _make_or_recall(source: Path, copy: Path, failed: Path) -> Path:
    if failed.is_file():
        raise PlayableError(failed.read_text(encoding="utf-8"))
    try:
        return make_playable(source, copy)
    except PlayableError as err:
        if is_out_of_space(err):
            raise out_of_space(copy.parent) from err
        if err.lasting:
            failed.write_text(str(err), encoding="utf-8")
        raise
