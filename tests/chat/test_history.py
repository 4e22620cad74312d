"""Chat history under concurrent writers: real processes and threads append to one session."""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.synchronize import Event
from pathlib import Path

from videolens.chat.history import ChatHistory

PROCESSES = 6
TURNS_EACH = 25


def _append_turns(session_dir: str, writer: int, start: Event) -> None:
    start.wait(timeout=60)
    history = ChatHistory(Path(session_dir))
    for turn in range(TURNS_EACH):
        history.append({"question": f"q {writer}-{turn}", "answer": "a", "mode": "retrieval"})


def test_turns_from_several_processes_at_once_are_all_kept(tmp_path: Path) -> None:
    # A fresh interpreter per writer (spawn): nothing in-process is shared, only the files.
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=_append_turns, args=(str(tmp_path), writer, start))
        for writer in range(PROCESSES)
    ]
    for process in writers:
        process.start()
    start.set()
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    questions = [turn["question"] for turn in ChatHistory(tmp_path).turns()]
    expected = {f"q {w}-{t}" for w in range(PROCESSES) for t in range(TURNS_EACH)}
    assert len(questions) == PROCESSES * TURNS_EACH
    assert set(questions) == expected
    # Each writer's own turns stay in the order it wrote them.
    for writer in range(PROCESSES):
        own = [q for q in questions if q.startswith(f"q {writer}-")]
        assert own == [f"q {writer}-{t}" for t in range(TURNS_EACH)]


def test_turns_from_threads_are_all_kept(tmp_path: Path) -> None:
    histories = [ChatHistory(tmp_path) for _ in range(4)]
    threads = [
        threading.Thread(
            target=lambda h=h, i=i: [h.append({"question": f"t{i}-{n}"}) for n in range(20)]
        )
        for i, h in enumerate(histories)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ChatHistory(tmp_path).turns()) == 80


def test_recent_and_clear(tmp_path: Path) -> None:
    history = ChatHistory(tmp_path)
    assert history.turns() == [] and history.recent(3) == []
    for n in range(5):
        history.append({"question": str(n)})
    assert [t["question"] for t in history.recent(2)] == ["3", "4"]
    assert history.recent(0) == []
    assert all("created_at" in t for t in history.turns())
    history.clear()
    assert history.turns() == []
