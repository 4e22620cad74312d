"""The words of a query that the full-text index is asked for."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
# Words that say how something is asked, not what is looked for.
_ASKING = """a an the and or of in on at to for from with by is are was were be been does do did
    which what when where who whom how often many much times time last first video videos
    clip clips recording recordings camera cameras footage appear appears appeared seen see saw
    show shows shown there any all every me my i it its this that these those library did ever
    any some can could would should most least ago yesterday today week past summarize
    summarise summary happened"""
STOPWORDS = frozenset(_ASKING.split())


def words_of(text: str) -> list[str]:
    """Every word of ``text``, lower case, in order (as the full-text index splits it)."""
    return _WORD.findall(text.lower())


def query_words(text: str) -> list[str]:
    """The searchable words of ``text``, lower case, in order, each once."""
    return list(dict.fromkeys(w for w in words_of(text) if w not in STOPWORDS))
