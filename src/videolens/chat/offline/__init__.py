"""Answers without a chat model, for a session or a live stream's range: the question's intent
read by patterns (``intents``), answered from the frames' structured fields, every statement
citing the ``[mm:ss]`` (video) or ``[14:05:12]`` (wall-clock) frames it rests on.

``Evidence`` says what is read (``evidence``); ``offline_answer`` picks the answer (``answers``)
by the question's kind (``question_kinds``): counts and presence (``detections``), different
ones, arrivals, departures and headings from the tracks (``tracks``), measured colours
(``colours``), text and speech (``readings``) or the whole stretch (``overviews``); a kind it
cannot answer gets one sentence saying so. What differs for a stream (its frames listed newest
first, the events its rules raised, the stretches nobody watched, a range with no frame) is a
branch on ``Evidence.stream``.
"""

from videolens.chat.offline.answers import moments_answer, offline_answer
from videolens.chat.offline.evidence import PREFIX, Evidence
from videolens.chat.offline.overviews import nothing_seen

__all__ = ["PREFIX", "Evidence", "moments_answer", "nothing_seen", "offline_answer"]
