"""What the library index holds: a video (a session or a stream) and its searchable moments."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

VideoKind = Literal["file", "stream"]
MomentKind = Literal["frame", "speech", "track"]
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    ``stream``; ``titles`` the videos' titles; ``label`` a detected label a video must have.
    """

    owner: str | None = None
    video_ids: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    source: VideoKind | None = None
    label: str | None = None


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
class Page:
    """One page of videos and how many there are in all."""

    videos: list[LibraryVideo] = field(default_factory=list)
    total: int = 0
