"""Okapi BM25 over short texts, with every posting's weight computed once at build time.

A query then costs one vector addition per query term, which keeps ranking a 10,000-frame
timeline well under a millisecond.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

_WORD = re.compile(r"[a-z0-9]+")

_STOPWORD_TEXT = """a an and are as at be been but by can did do does for from
had has have how i if in into is it its me my no not of
on or our so that the their them then there these they this to was we
were what when where which while who why will with you your show shown shows see
seen happen happens happened video moment moments frame frames please tell about any"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _stem(word: str) -> str:
    """A deliberately light stemmer: enough to match "stops"/"stopped"/"stopping" to "stop"."""
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif (len(word) > 4 and word.endswith("ed")) or (
        len(word) > 3 and word.endswith("es") and word[-3] in "sxz"
    ):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # "stopp" -> "stop"
    return word


def tokenize(text: str) -> list[str]:
    """Lowercase word stems without stopwords; digits are kept (on-screen numbers matter)."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


class BM25Index:
    """BM25 (k1, b) over ``documents``; ``scores(query)`` returns one float per document."""

    def __init__(
        self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        frequencies: dict[str, list[tuple[int, int]]] = {}
        for doc_id, terms in enumerate(documents):
            for term, count in Counter(terms).items():
                frequencies.setdefault(term, []).append((doc_id, count))
        self._postings: dict[str, tuple[NDArray[np.intp], NDArray[np.float64]]] = {}
        for term, entries in frequencies.items():
            ids = np.array([doc_id for doc_id, _ in entries], dtype=np.intp)
            tf = np.array([count for _, count in entries], dtype=np.float64)
            df = len(entries)
            idf = math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
            norm = k1 * (1.0 - b + b * lengths[ids] / average)
            self._postings[term] = (ids, idf * tf * (k1 + 1.0) / (tf + norm))

    def scores(self, query_terms: Sequence[str]) -> NDArray[np.float64]:
        """BM25 score of every document for the query (zeros where no term matches)."""
        total = np.zeros(self.size, dtype=np.float64)
        for term in set(query_terms):
            posting = self._postings.get(term)
            if posting is not None:
                ids, weights = posting
                total[ids] += weights  # ids are unique within a posting list
        return total

    def knows(self, term: str) -> bool:
        return term in self._postings
