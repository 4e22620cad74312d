"""How much each word of a PostgreSQL search weighs: its rarity in the whole index.

SQLite's bm25 weighs each query word by its inverse document frequency over every indexed
moment; ``ts_rank`` does not, so PostgreSQL's score is the sum, over the query's words, of that
same weight times the word's ``ts_rank``. A word's document frequency is counted in the GIN
index up to ``COUNTED`` (cheap for the rare words whose weight matters most); a commoner word's
comes from the planner's statistics (``ANALYZE``'s most common lexemes), without counting it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from videolens.library.index import Cursor

# ``ts_rank``'s weights of D (the scope words: not scored), C, B, A.
WEIGHTS = "{0, 0.2, 0.4, 1.0}"
# A word's moments are counted one by one up to this many.
COUNTED = 1000
# The moments in the index: counted up to this many, else estimated from the table's size.
MOMENTS_COUNTED = 10_000
# A word's weight is looked up again after this long (it changes slowly: a library grows).
FRESH_S = 60.0
# The most words whose weights are kept.
KEPT = 10_000

# Per word that the text search keeps: the moments in the index, and how many have the word:
# the planner's estimate when that is past ``COUNTED``, else counted (up to ``COUNTED``).
_FREQUENCIES = f"""
WITH moments AS (
    SELECT GREATEST(
        (SELECT COUNT(*) FROM (SELECT 1 FROM library_moments LIMIT {MOMENTS_COUNTED}) AS few),
        (SELECT CASE WHEN relpages > 0 THEN reltuples / relpages
                     * (pg_relation_size(oid) / current_setting('block_size')::int) ELSE 0 END
         FROM pg_class WHERE oid = 'library_moments'::regclass)) AS n
), asked AS (
    SELECT word, (SELECT lexeme FROM unnest(to_tsvector('english', word)) LIMIT 1) AS lexeme
    FROM unnest(?::text[]) AS word
), common AS (
    SELECT e.lexeme, e.freq
    FROM pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
        AS e(lexeme, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'library_moments'
        AND s.attname = 'document'
)
SELECT a.word, moments.n,
    CASE WHEN c.freq * moments.n >= {COUNTED} THEN c.freq * moments.n
    ELSE GREATEST(c.freq * moments.n, (
        SELECT COUNT(*) FROM (SELECT 1 FROM library_moments
                              WHERE document @@ to_tsquery('english', a.word)
                              LIMIT {COUNTED}) AS found)) END
FROM asked a CROSS JOIN moments LEFT JOIN common c ON c.lexeme = a.lexeme
WHERE a.lexeme IS NOT NULL
"""


def inverse_document_frequency(matching: float, moments: float) -> float:
    """bm25's weight of a word that ``matching`` of ``moments`` have, as SQLite's FTS5
    computes it (never below 1e-6: a word in most moments still counts a little)."""
    return max(math.log((moments - matching + 0.5) / (matching + 0.5)), 1e-6)


def word_frequencies(cursor: Cursor, words: list[str]) -> dict[str, tuple[float, float]]:
    """Each of ``words`` that the index's text search keeps (not a stop word): (how many
    moments have it, its weight in the whole index)."""
    rows = cursor.execute(_FREQUENCIES, [words])
    return {
        str(word): (float(matching), inverse_document_frequency(float(matching),
                                                                max(float(moments), matching)))
        for word, moments, matching in rows
    }  # fmt: skip


class WordWeights:
    """The weights of one index's words, each looked up again after ``FRESH_S``: reading the
    statistics costs more than a search of common words should (the planner's view of them
    alone takes milliseconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # word: (when, (moments with it, weight), or None for a stop word)
        self._known: dict[str, tuple[float, tuple[float, float] | None]] = {}

    def of(self, cursor: Cursor, words: list[str]) -> dict[str, float]:
        """Each of ``words`` that the text search keeps, with its weight in the whole index;
        from what was looked up less than ``FRESH_S`` ago where it can."""
        now = self._clock()
        stale = [w for w in words if w not in self._known or now - self._known[w][0] > FRESH_S]
        if stale:
            if len(self._known) + len(stale) > KEPT:
                self._known.clear()
            found = word_frequencies(cursor, stale)
            self._known.update((word, (now, found.get(word))) for word in stale)
        return {word: known[1] for word in words if (known := self._known[word][1]) is not None}

    def moments_with(self, word: str) -> float | None:
        """How many moments of the whole index have ``word``, as last looked up (or None)."""
        known = self._known.get(word)
        return known[1][0] if known is not None and known[1] is not None else None
