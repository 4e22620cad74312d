"""CSV: one row per analysed moment; list fields joined with ``; ``."""

from __future__ import annotations

import csv
import io
from typing import Any

from videolens.chat.timeparse import format_timestamp

COLUMNS = (
    "index", "timestamp_s", "timestamp", "description", "text", "objects", "people", "actions",
    "reason", "shot_start", "motion", "model", "image",
)  # fmt: skip
_LISTS = ("text", "objects", "people", "actions")


def to_csv(document: dict[str, Any]) -> str:
    """The timeline as CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for frame in sorted(document.get("frames") or [], key=lambda f: float(f["timestamp_s"])):
        row = dict(frame, timestamp=format_timestamp(float(frame["timestamp_s"])))
        for name in _LISTS:
            row[name] = "; ".join(str(v) for v in frame.get(name) or [])
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in COLUMNS])
    return buffer.getvalue()
