"""What the library index holds: a video (a session or a stream) and its searchable moments."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

VideoKind = Literal["file", "stream"]
MomentKind = Literal["frame", "speech", "track"]
LABEL_SEPARATOR = ", "  # between a moment's labels; full-text search splits it as a space
LOCAL_OWNER = "local"  # sessions made by `videolens analyze` have no owner: the local user's


@dataclass(frozen=True)
class LibraryVideo:
    """One video of the library: a session (``kind`` "file") or a live stream."""

    video_id: str
    kind: VideoKind
    title: str
    owner: str
    status: str
    created_at: str
    source: str = ""
    duration_s: float | None = None
    # The store's own entry for a listing of it, as JSON (``library.listings``): written with
    # the video, read back only by ``LibraryIndex.listings``.
    listing: str = field(default="", repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        shown = asdict(self)
        shown.pop("listing")
        return shown


@dataclass(frozen=True)
class LibraryMoment:
    """One searchable moment: a described frame, a stretch of speech, or a track.

    ``at_s`` is seconds from the video's start for a session and Unix seconds for a stream;
    ``happened_at`` is the moment as ISO 8601 UTC where it is known (a stream's frames), else
    when the video was added.
    """

    video_id: str
    kind: MomentKind
    position: int
    at_s: float
    happened_at: str
    description: str = ""
    labels: str = ""
    text: str = ""
    speech: str = ""
    end_s: float | None = None
    image: str | None = None


@dataclass(frozen=True)
class LibraryFilter:
    """Which videos a listing, search or question reads.

    ``owner`` None: every owner's (an admin). ``since``/``until`` are ISO 8601 (a date or an
    instant) on ``happened_at`` (listings: ``created_at``); ``source`` is ``file`` or
    ``stream``; ``titles`` the videos' titles; ``label`` a detected label a video must have;
    ``status`` the video's (``running``, ``completed``, ``live``…).
    """

    owner: str | None = None
    video_ids: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    source: VideoKind | None = None
    label: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class LibraryHit:
    """A moment that matched, with its video and its score (higher is better)."""

    video: LibraryVideo
    moment: LibraryMoment
    score: float

    def as_dict(self) -> dict[str, Any]:
        shown = asdict(self.moment)
        shown.pop("image")  # a server path; the API links the frame route instead
        return {**shown, "title": self.video.title, "source": self.video.kind,
                "owner": self.video.owner, "score": round(self.score, 4)}  # fmt: skip


@dataclass(frozen=True)
class VideoMatches:
    """How many moments of one video matched, and the first and last of them."""

    video: LibraryVideo
    count: int
    first: LibraryMoment
    last: LibraryMoment


@dataclass(frozen=True)
class Listed:
    """A video as a listing shows it: the store's entry (JSON) and, for a running video, how
    many frames the index holds of it so far (else None)."""

    video_id: str
    listing: str
    frames_so_far: int | None


@dataclass(frozen=True)
class Page:
    """One page of videos and how many there are in all."""

    videos: list[LibraryVideo] = field(default_factory=list)
    total: int = 0
