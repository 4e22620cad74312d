"""What a question is answered from (``Context``: ranked ``Moment``s and an overview) and the
one way it is filled: ``fill_budget`` takes the best-ranked distinct entries of a
``TimelineIndex`` until the token budget is spent. The ranking is passed in (``Ranking``): a
session's scores by words and time anchor, or a stream's with its recency and focus
(``live_ranking``), with the clock that stamps a stream's lines in wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from videolens.chat.timeparse import TimeAnchor
from videolens.timeline.clock import Clock

if TYPE_CHECKING:
    from videolens.chat.retrieval import TimelineIndex

# Candidates a session considers when filling the budget (more than any budget holds).
MAX_CANDIDATES = 256
# A static scene sampled again within this many seconds says the same thing: keep one.
SAME_SCENE_S = 10.0


def estimate_tokens(text: str) -> int:
    """A cheap, model-agnostic token estimate (~4 characters a token for English)."""
    return len(text) // 4 + 1


@dataclass(frozen=True)
class Moment:
    """One timeline entry chosen as context, with the score that ranked it: an analysed frame
    (``frame_index`` is its index) or a speech segment (``kind`` "speech", ``frame_index`` is the
    segment's position in the speech track, ``end_s`` its end)."""

    frame_index: int
    timestamp_s: float
    score: float
    line: str
    image: str | None = None
    kind: str = "frame"
    end_s: float | None = None


@dataclass
class Context:
    """What a question is answered from: ranked ``moments`` and an ``overview`` of the video."""

    question: str
    moments: list[Moment]
    overview: str
    tokens: int
    anchor: TimeAnchor | None = None
    duration_s: float = 0.0
    matched: bool = True
    """Whether the moments match the question's words (else, for a stream, they are the frames
    nearest the moment named, or the newest ones)."""
    unit: str = "moment"
    """What a moment is called in the prompt: ``moment`` (a session), ``frame`` (a stream)."""

    def render(self) -> str:
        """The context as prompt text: the overview, then the moments in time order."""
        lines = [self.overview, "", f"Relevant {self.unit}s (in time order):"]
        lines += [m.line for m in sorted(self.moments, key=lambda m: m.timestamp_s)]
        if not self.moments:
            missing = "matches the question" if self.unit == "moment" else "in the range"
            lines.append(f"(no analysed {self.unit} {missing})")
        return "\n".join(lines)


@dataclass
class Ranking:
    """How one question ranks an index's entries: each entry's ``scores`` (0: irrelevant) and
    ``times`` (its time on the clock); ``clock`` stamps the chosen lines anew (None: the index's
    own ``[mm:ss]`` lines); ties go to the newest entries when ``newest_first`` (else the
    earliest); ``candidates`` bounds the entries considered (None: all), and less than
    ``min_tokens`` left ends the filling."""

    scores: NDArray[np.float64]
    times: NDArray[np.float64]
    clock: Clock | None = None
    newest_first: bool = False
    candidates: int | None = MAX_CANDIDATES
    min_tokens: int = 1

    def order(self) -> NDArray[np.int64]:
        """The entries considered, best first; equal scores newest or earliest first."""
        scores, times = self.scores, self.times
        count = len(scores) if self.candidates is None else min(len(scores), self.candidates)
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        tie = -times if self.newest_first else times
        if count == len(scores):
            return np.lexsort((tie, -scores))
        top = np.argpartition(-scores, count - 1)[:count]
        ordered: NDArray[np.int64] = top[np.lexsort((tie[top], -scores[top]))]
        return ordered


def fill_budget(
    index: TimelineIndex, ranking: Ranking, budget_tokens: int
) -> tuple[list[Moment], int]:
    """The best-ranked distinct entries whose lines fit in ``budget_tokens``, best first, and
    the tokens left."""
    scores, times = ranking.scores, ranking.times
    left = budget_tokens
    moments: list[Moment] = []
    seen: dict[str, list[float]] = {}
    for i in ranking.order().tolist():
        if scores[i] <= 0.0 or left < ranking.min_tokens:
            break
        t, body = float(times[i]), index.bodies[i]
        if any(abs(t - s) <= SAME_SCENE_S for s in seen.get(body, [])):
            continue
        line = index.lines[i] if ranking.clock is None else f"{ranking.clock.stamp(t)} {body}"
        cost = estimate_tokens(line.strip())
        if cost > left:
            continue
        seen.setdefault(body, []).append(t)
        kind = index.kinds[i]
        end = index.ends[i] if kind == "speech" else None
        moments.append(
            Moment(index.indexes[i], t, float(scores[i]), line.strip(), index.images[i], kind, end)
        )
        left -= cost
    return moments, left
