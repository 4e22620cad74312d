"""Real footage nobody here made (vtest.avi, a street with pedestrians, from Debian's opencv-doc)
through the real API: people are found, and the plain questions a person asks get answers with
checked citations, with no chat model configured."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_helpers import upload

from live_server import LiveServer, serving
from polling import poll
from real_media import opencv_data_file
from videolens.config import Settings

pytestmark = pytest.mark.timeout(600)
CITATION = re.compile(r"\[\d{2}:\d{2}\]")


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory, temporal_address: str) -> Iterator[Any]:
    """vtest.avi analysed once through the API; yields (server, session id)."""
    video = opencv_data_file("vtest.avi")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("street") / "data",
        temporal_address=temporal_address,
        deployment="street",
        rate_limit_per_minute=100_000,  # the poll below asks ten times a second
    )
    with serving(settings) as live, live.client() as client:
        response = upload(client, video)
        assert response.status_code == 202, response.text
        session_id = response.json()["session_id"]

        def finished() -> dict[str, Any] | None:
            response = client.get(f"/v1/sessions/{session_id}")
            assert response.status_code == 200, response.text
            session: dict[str, Any] = response.json()
            return session if session["status"] != "running" else None

        session = poll(finished, 400, "the analysis of vtest.avi")
        assert session["status"] == "completed", session.get("error")
        yield live, session_id


def _ask(client: httpx.Client, session_id: str, question: str) -> dict[str, Any]:
    response = client.post(f"/v1/sessions/{session_id}/chat", json={"question": question})
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    answer: dict[str, Any] = lines[-1]
    assert answer["type"] == "answer", lines
    return answer


def test_people_are_found_in_most_frames(street: tuple[LiveServer, str]) -> None:
    live, session_id = street
    with live.client() as client:
        frames = client.get(f"/v1/sessions/{session_id}/frames", params={"limit": 500}).json()
    items = frames["frames"]
    with_people = [f for f in items if f.get("people_count", 0) > 0]
    assert len(items) >= 10
    assert len(with_people) >= 0.8 * len(items)
    assert all("no faces" not in f["description"] for f in items)
    assert any(re.search(r"\bpeople\b", f["description"]) for f in with_people)


def _answer_matching(
    street: tuple[LiveServer, str], question: str, expected: str
) -> dict[str, Any]:
    """The answer to ``question`` about the street session; its text must match ``expected``."""
    live, session_id = street
    with live.client() as client:
        answer = _ask(client, session_id, question)
    assert re.search(expected, answer["answer"]), answer["answer"]
    return answer


@pytest.mark.parametrize(
    ("question", "expected", "cited"),
    [
        ("summarize the video", r"[Pp]eople", True),
        ("how many people are there?", r"\d+ people", True),
        ("when do people walk past?", r"[Pp]eople are visible", True),
        ("is there a car?", r"[Cc]ars? (is|are) visible", True),
        # What is absent is said so, with nothing to cite.
        ("what did they say?", r"no audio track", False),
        ("what is written on screen?", r"[Nn]o on-screen text", False),
        ("are there any dogs?", r"[Nn]o dogs? (was|were) detected", False),
    ],
)
def test_plain_questions_get_answers_cited_where_the_footage_shows_it(
    street: tuple[LiveServer, str], question: str, expected: str, cited: bool
) -> None:
    answer = _answer_matching(street, question, expected)
    if cited:
        assert CITATION.search(answer["answer"]), answer["answer"]
        assert answer["citations"] and all(c["valid"] for c in answer["citations"])
    else:
        assert not answer["citations"]
