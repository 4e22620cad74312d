"""CSV: one row per analysed moment; list fields joined with ``; ``."""

from __future__ import annotations

import csv
import io

from videolens.chat.timeparse import format_timestamp
from videolens.exports.captions import moment_time
from videolens.timeline.model import SessionDocument

COLUMNS = (
    "index", "timestamp_s", "timestamp", "description", "text", "objects", "people", "actions",
    "reason", "shot_start", "motion", "model", "image",
)  # fmt: skip
_LISTS = ("text", "objects", "people", "actions")


def to_csv(document: SessionDocument) -> str:
    """The timeline as CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for frame in sorted(document.frames, key=moment_time):
        row = dict(frame.as_json(), timestamp=format_timestamp(moment_time(frame)))
        for name in _LISTS:
            row[name] = "; ".join(str(v) for v in getattr(frame, name))
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in COLUMNS])
    return buffer.getvalue()
