"""The stream store: wall-clock range reads, the rolling timeline; retention by file names."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from videolens.streams.errors import StreamNotFoundError
from videolens.streams.retention import prune
from videolens.streams.store import StreamStore
from videolens.streams.types import window_name
from videolens.timeline.model import Moment, StreamDelivery, StreamEvent


def _record(store: StreamStore, stream_id: str, seq: int, at: float) -> Moment:
    image = store.frames_dir(stream_id) / f"{seq:010d}.jpg"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"jpeg")
    return Moment(seq=seq, at=at, image=str(image), description=f"frame {seq}")


def _stream_with_windows(tmp_path: Path) -> tuple[StreamStore, str]:
    """Windows of two frames, 4 s apart, starting at t=1000: frames at 1000, 1002, 1004, ..."""
    store = StreamStore(tmp_path / "streams")
    created = store.create({"name": "cam"}, {"url": "udp://x", "webhook_secret": "s3cret"})
    stream_id = created.stream_id
    for window in range(5):
        frames = [
            _record(store, stream_id, 2 * window + i, 1000.0 + 4 * window + 2 * i) for i in (0, 1)
        ]
        first = frames[0]
        assert first.at is not None and first.seq is not None
        name = window_name(first.at, first.seq)
        store.write_moments(stream_id, name, frames)
        events = [StreamEvent(event_id=f"{first.seq:010d}-0", at=first.at, seq=first.seq)]
        store.write_stream_events(stream_id, name, events)
    return store, stream_id


def test_frames_in_a_wall_clock_range_and_the_rolling_timeline(tmp_path: Path) -> None:
    store, stream_id = _stream_with_windows(tmp_path)
    assert [f.seq for f in store.moments(stream_id)] == list(range(10))
    assert [f.seq for f in store.moments(stream_id, 1003.0, 1010.0)] == [2, 3, 4]
    assert [f.seq for f in store.moments(stream_id, since_at=1014.0)] == [7, 8, 9]
    assert [f.seq for f in store.moments(stream_id, limit=3)] == [0, 1, 2]
    assert [f.seq for f in store.recent_moments(stream_id, 3)] == [7, 8, 9]
    assert store.latest_moment(stream_id) == store.moment(stream_id, 9) is not None
    fifth = store.moment(stream_id, 5)
    assert fifth is not None and fifth.at == 1010.0
    assert store.moment(stream_id, 99) is None
    assert [e.seq for e in store.stream_events(stream_id, 1004.0, 1012.0)] == [2, 4]


def test_retention_removes_whole_windows_their_images_and_events(tmp_path: Path) -> None:
    store, stream_id = _stream_with_windows(tmp_path)
    store.write_delivery(stream_id, "0000000000-0", StreamDelivery(status="delivered"))
    pruned = prune(store, stream_id, before_at=1009.0)
    # Windows starting at 1000 and 1004 end before 1009 (the next starts at or before it).
    assert (pruned.windows, pruned.frames, pruned.events) == (2, 4, 2)
    assert [f.seq for f in store.moments(stream_id)] == list(range(4, 10))
    assert sorted(int(p.stem) for p in store.frames_dir(stream_id).glob("*.jpg")) == list(
        range(4, 10)
    )
    assert [e.seq for e in store.stream_events(stream_id)] == [4, 6, 8]
    assert not list((store.stream_dir(stream_id) / "deliveries").glob("*.json"))
    # The newest window always stays, however old.
    prune(store, stream_id, before_at=10_000.0)
    assert [f.seq for f in store.moments(stream_id)] == [8, 9]


def test_secrets_stay_private_and_ids_are_never_paths(tmp_path: Path) -> None:
    store, stream_id = _stream_with_windows(tmp_path)
    private = store.stream_dir(stream_id) / "private.json"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert "s3cret" not in (store.stream_dir(stream_id) / "stream.json").read_text()
    for bad in ("../etc", "ABC", "x" * 12 + "/"):
        with pytest.raises(StreamNotFoundError):
            store.document(bad)
    with pytest.raises(ValueError, match="window name"):
        store.write_moments(stream_id, "../../x", [])
    store.delete(stream_id)
    with pytest.raises(StreamNotFoundError):
        store.write_moments(stream_id, window_name(1.0, 0), [])
    assert not store.stream_dir(stream_id).exists()
