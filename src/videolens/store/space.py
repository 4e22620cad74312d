"""Disk space: what a run will roughly need, what is free, and a full disk told apart.

The estimate is deliberately simple (it only has to say "this will not fit" before a run): each
sampled frame is a JPEG of about 60 KB at 768 px on its longest side (real footage at quality 85;
flat synthetic pictures are much smaller, noisy ones about the same), scaled with the picture's
area, plus a couple of KB for its description; an upload adds the video itself.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from videolens.errors import OutOfSpaceError

JPEG_BYTES_AT_REFERENCE = 60_000
REFERENCE_SIDE = 768
RECORD_BYTES_PER_FRAME = 2_000
"""A described frame's entry in its batch file and in the final session document."""

# ENOSPC: the filesystem is full; EDQUOT: the user's quota on it is.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


@dataclass(frozen=True)
class SpaceCheck:
    """A run's estimated needs against the free space where it will write."""

    where: Path
    frames: int
    needed_bytes: int
    free_bytes: int

    @property
    def fits(self) -> bool:
        return self.needed_bytes <= self.free_bytes

    def warning(self) -> str:
        """One sentence for a run that will probably not fit."""
        return (
            f"this run needs about {human_bytes(self.needed_bytes)} ({self.frames} frames at "
            f"~{human_bytes(self.needed_bytes // max(1, self.frames))} each) but only "
            f"{human_bytes(self.free_bytes)} is free on the disk holding {self.where}; "
            "it may run out of space"
        )


def estimate_run_bytes(frames: int, longest_side: int, video_bytes: int = 0) -> int:
    """Bytes a run of ``frames`` JPEGs ``longest_side`` px wide (at most) will roughly take."""
    area_share = (max(1, longest_side) / REFERENCE_SIDE) ** 2
    per_frame = round(JPEG_BYTES_AT_REFERENCE * area_share) + RECORD_BYTES_PER_FRAME
    return max(0, frames) * per_frame + max(0, video_bytes)


def check_space(where: Path, frames: int, longest_side: int, video_bytes: int = 0) -> SpaceCheck:
    """Compare a run's estimate with the free space on the disk that will hold ``where``."""
    return SpaceCheck(
        where=where,
        frames=frames,
        needed_bytes=estimate_run_bytes(frames, longest_side, video_bytes),
        free_bytes=free_bytes(where),
    )


def free_bytes(path: Path) -> int:
    """Bytes free for us on the filesystem that holds (or will hold) ``path``."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return shutil.disk_usage(Path.cwd()).free  # pragma: no cover - "/" always exists


def is_out_of_space(err: BaseException | None) -> bool:
    """True when ``err`` (or an error it was raised from) says the disk or quota is full."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OutOfSpaceError):
            return True
        if isinstance(err, OSError) and err.errno in _FULL_ERRNOS:
            return True
        err = err.__cause__ or err.__context__
    return False


def out_of_space(path: Path, setting: str = "VIDEOLENS_DATA_DIR") -> OutOfSpaceError:
    """The error for a write under ``path`` refused because its disk is full.

    ``setting`` is the one that moves ``path`` to another disk.
    """
    return OutOfSpaceError(
        f"out of disk space: the disk holding {path} filled up ({human_bytes(free_bytes(path))} "
        f"left); free some space or move {setting} to a larger disk"
    )


@contextmanager
def raising_out_of_space(path: Path) -> Iterator[None]:
    """Turn a write refused for lack of space under ``path`` into ``OutOfSpaceError``."""
    try:
        yield
    except OutOfSpaceError:
        raise
    except OSError as err:
        if err.errno in _FULL_ERRNOS:
            raise out_of_space(path) from err
        raise


def human_bytes(count: int) -> str:
    """``1.5 MB`` style, decimal units as disks are sold."""
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover
