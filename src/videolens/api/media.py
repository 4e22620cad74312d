"""The video a browser can play: the upload itself, or a copy made once and cached in the session.

The copy (``<session>/playable.mp4``) is made on the first request for the video. An exclusive
``flock`` on ``playable.lock`` makes a second request (another thread, or another server process
on the same data dir) wait for the first one's copy instead of making its own. When the file
itself cannot be made playable, the reason is kept in ``playable.error`` so each request does not
retry a failing transcode; a failure of the moment (a full disk, a refused read) is never kept,
so the video plays once the cause is gone. Earlier versions kept a full disk's error too: such a
record is dropped when read, and the copy is tried again.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from videolens.store.space import is_out_of_space, out_of_space, raising_out_of_space
from videolens.video.playable import PlayableError, make_playable, media_codecs

PLAYABLE_FILE = "playable.mp4"
LOCK_FILE = "playable.lock"
ERROR_FILE = "playable.error"
# What an ENOSPC or EDQUOT says in a kept message: the disk's fault, never the file's.
_MOMENT_FAULTS = tuple(os.strerror(code) for code in (errno.ENOSPC, errno.EDQUOT))


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
    kept = _kept_reason(failed)
    if kept is not None:
        raise PlayableError(kept)
    try:
        return make_playable(source, copy)
    except PlayableError as err:
        if is_out_of_space(err):
            raise out_of_space(copy.parent) from err
        if err.lasting:
            failed.write_text(str(err), encoding="utf-8")
        raise


def _kept_reason(failed: Path) -> str | None:
    """The kept reason no copy can be made; None when none is kept, or when the one kept (by an
    earlier version) was a full disk's, which is removed so that the copy is tried again."""
    try:
        reason = failed.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if any(fault in reason for fault in _MOMENT_FAULTS):
        failed.unlink(missing_ok=True)
        return None
    return reason
