"""The library: one index of every moment of every session and stream, for listings, search
and questions across all of a key's videos.

The index is derived from the session and stream stores (the source of truth): the stores'
hooks (``indexing``) keep it in step as batches land, ``reindex.rebuild`` makes it again. It is
SQLite with FTS5 in the data dir by default, PostgreSQL when ``VIDEOLENS_DATABASE_URL`` is set.
"""

from videolens.library.errors import LibraryError
from videolens.library.index import LibraryIndex
from videolens.library.opening import connect_index, open_index
from videolens.library.records import (
    LibraryFilter,
    LibraryHit,
    LibraryMoment,
    LibraryVideo,
    Page,
    VideoMatches,
)

__all__ = [
    "LibraryError",
    "LibraryFilter",
    "LibraryHit",
    "LibraryIndex",
    "LibraryMoment",
    "LibraryVideo",
    "Page",
    "VideoMatches",
    "connect_index",
    "open_index",
]
