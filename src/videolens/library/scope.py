"""Words that say whose a moment is, where it comes from and which video it is in.

They are indexed with the moment's text, so the full-text index itself narrows a search to one
key's videos (or a source, or some videos) before anything is scored, instead of scoring every
match and dropping the others' afterwards.
"""

from __future__ import annotations

import hashlib
import re

from videolens.library.records import LibraryFilter, LibraryVideo

# Video ids are generated (12 lowercase letters or digits): anything else names no video, and
# must never reach a full-text query's syntax (a quote would end its phrase).
_VIDEO_ID = re.compile(r"[a-z0-9]{1,64}")
_NO_VIDEO = "vnovideo"  # shorter than every id: matches nothing


def video_word(video_id: str) -> str:
    return f"v{video_id}" if _VIDEO_ID.fullmatch(video_id) else _NO_VIDEO


def owner_word(owner: str) -> str:
    # Key ids may hold characters a tokenizer splits on: a hash is one plain word.
    return "o" + hashlib.sha256(owner.encode()).hexdigest()[:16]


def scope_of(video: LibraryVideo) -> str:
    """The scope words of every moment of ``video``."""
    return f"{owner_word(video.owner)} s{video.kind} {video_word(video.video_id)}"


def scope_terms(chosen: LibraryFilter) -> list[list[str]]:
    """What ``chosen`` asks of the scope: every group must match one of its words."""
    groups = []
    if chosen.owner is not None:
        groups.append([owner_word(chosen.owner)])
    if chosen.source is not None:
        groups.append([f"s{chosen.source}"])
    if chosen.video_ids:
        groups.append([video_word(video_id) for video_id in chosen.video_ids])
    return groups
