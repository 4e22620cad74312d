"""The skeleton the session and stream stores share: one folder per generated id under a root."""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from videolens.store.atomic import read_json

_ID = re.compile(r"^[a-z0-9]{12}$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def fresh_id() -> str:
    """A fresh id for a session or a stream: 12 lowercase letters or digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def is_valid_id(value: str) -> bool:
    """Ids are generated, never user paths: 12 lowercase letters or digits."""
    return bool(_ID.match(value))


def now_iso() -> str:
    """The wall clock as ISO 8601 UTC, to the second: a document's ``created_at`` and the like."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FolderHook(Protocol):
    """What every store's hook is told of: an item removed with its folder."""

    def removed(self, item_id: str, /) -> None: ...


H = TypeVar("H", bound=FolderHook)


class IdFolders(Generic[H]):
    """Items on the local filesystem, one folder per id; public methods take an id, never a path.

    A subclass names its item (``KIND``, for messages), the error for an unknown id
    (``NOT_FOUND``) and its document's file name (``DOCUMENT``). A ``hook`` is told of each
    write and removal once it is on disk.
    """

    KIND: ClassVar[str]
    NOT_FOUND: ClassVar[type[Exception]]
    DOCUMENT: ClassVar[str]

    def __init__(self, root: Path, hook: H | None = None) -> None:
        self.root = root
        self.hook = hook

    def new_id(self) -> str:
        return fresh_id()

    def not_found(self, item_id: str) -> Exception:
        return self.NOT_FOUND(f"no {self.KIND} {item_id!r}")

    def folder(self, item_id: str) -> Path:
        if not is_valid_id(item_id):
            raise self.not_found(item_id)
        return self.root / item_id

    def frames_dir(self, item_id: str) -> Path:
        return self.folder(item_id) / "frames"

    def _document_path(self, item_id: str) -> Path:
        return self.folder(item_id) / self.DOCUMENT

    def exists(self, item_id: str) -> bool:
        return is_valid_id(item_id) and self._document_path(item_id).is_file()

    def delete(self, item_id: str) -> None:
        """Remove an item and everything it owns."""
        directory = self.folder(item_id)
        if not directory.is_dir():
            raise self.not_found(item_id)
        shutil.rmtree(directory)
        if self.hook is not None:
            self.hook.removed(item_id)

    def _read_document(self, item_id: str) -> dict[str, Any]:
        """The stored document as written, or ``NOT_FOUND``."""
        path = self._document_path(item_id)
        if not path.is_file():
            raise self.not_found(item_id)
        document: dict[str, Any] = read_json(path)
        return document

    def _new_document(self, item_id: str, status: str) -> dict[str, Any]:
        """What every new document starts with: its id, status and times."""
        now = now_iso()
        return {f"{self.KIND}_id": item_id, "status": status, "created_at": now, "updated_at": now}

    @contextmanager
    def _new_folder(self, item_id: str | None) -> Iterator[tuple[str, Path]]:
        """Make the folder of a new item (``item_id``, or a fresh one) and yield its id and path;
        if the body fails, a full disk included, no half-made folder is left behind."""
        item_id = item_id or fresh_id()
        directory = self.folder(item_id)
        directory.mkdir(parents=True, exist_ok=False)
        try:
            yield item_id, directory
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
