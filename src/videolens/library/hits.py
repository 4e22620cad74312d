"""A library hit as the search routes show it: the shape of a session search hit, with its
video's title and source, and links instead of server paths."""

from __future__ import annotations

from typing import Any

from videolens.library.citations import cite
from videolens.library.records import LibraryHit
from videolens.timeline.clock import format_timestamp


def shown_hit(hit: LibraryHit) -> dict[str, Any]:
    """``session_id``/``video_id``, ``frame_index``, ``timestamp_s``, ``timestamp``, ``score``,
    ``description``, ``text``, ``kind``, ``end_s``, ``title``, ``source``, ``citation``,
    ``image_url``."""
    video, moment = hit.video, hit.moment
    shown = hit.as_dict()
    shown.update(
        session_id=video.video_id if video.kind == "file" else None,
        frame_index=moment.position if moment.kind == "frame" else None,
        text=moment.text.split("\n") if moment.text else [],
        timestamp_s=moment.at_s,
        timestamp=format_timestamp(moment.at_s) if video.kind == "file" else moment.happened_at,
        description=moment.description or (f'speech: "{moment.speech}"' if moment.speech else ""),
        citation=cite(video, moment)[1:-1],
        image_url=_image_url(hit),
    )
    return shown


def _image_url(hit: LibraryHit) -> str | None:
    video, moment = hit.video, hit.moment
    if moment.kind != "frame":
        return None
    collection = "sessions" if video.kind == "file" else "streams"
    return f"/v1/{collection}/{video.video_id}/frames/{moment.position}/image"
