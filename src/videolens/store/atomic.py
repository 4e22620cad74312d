"""Atomic JSON files: write to a temporary file beside the target, fsync, then rename.

A write refused for lack of space raises ``OutOfSpaceError`` and leaves no temporary file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

from videolens.store.space import raising_out_of_space


def write_json_atomic(path: Path, document: Any) -> None:
    """Replace ``path`` with ``document`` so readers see the old or the new file, never half."""
    with raising_out_of_space(path), replacing(path, "w") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)


@contextmanager
def replacing(path: Path, mode: Literal["w", "wb"]) -> Iterator[IO[Any]]:
    """A new temporary file beside ``path``, opened with ``mode``; once the block is done it is
    flushed to disk and replaces ``path``; when the block raises it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
